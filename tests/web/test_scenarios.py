"""The scenario player over HTTP: runs, resuming, tampered posts, debrief, comparison, class."""

import pytest
from sqlalchemy import select

from tests.conftest import sign_in, sql_statements, sync_example
from tests.unit.test_content_validate import edit_yaml
from trainer.extensions import db
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    LearningEvent,
    Module,
    Profession,
    Progress,
    Role,
    RunStatus,
    ScenarioRun,
    Verb,
)
from trainer.models.types import utcnow

BASE = "/learn/example-module/scenarios/call"
GOOD_RUN = [{}, {"choice": "separate"}, {"choice": "document"}, {"f-risk": "high", "f-visits": "2"}]


@pytest.fixture
def officer(app, make_user):
    sync_example(app)
    return make_user(profession=Profession.POLICE, locale="en", name="Officer Ivanov")


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def start_run(client) -> str:
    response = client.post(f"{BASE}/runs")
    assert response.status_code == 303
    return response.headers["Location"]


def play(client, url, acts, first_step=0):
    response = None
    for step, data in enumerate(acts, start=first_step):
        response = client.post(url, data={"step": step, **data})
        assert response.status_code == 303, response.text
    return response


def run_of(app, url) -> ScenarioRun:
    with app.app_context():
        return db.session.get(ScenarioRun, int(url.rstrip("/").split("/")[-1]))


def test_landing_shows_the_case_file_and_starts_a_run(app, officer):
    client = client_for(app, officer)
    html = client.get(BASE).text
    assert "A night call" in html and "This case is fictional" in html
    assert '<details class="exhibit" id="doc-call-log">' in html
    assert "Start a new run" in html and "Resume run" not in html
    url = start_run(client)
    run = run_of(app, url)
    assert (run.number, run.node_id, run.state) == (
        1,
        "arrival",
        {"spoke-alone": False, "evidence": 0},
    )
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
        assert run.module_version_id == progress.module_version_id
    page = client.get(url).text
    assert "A man opens the door" in page and "Call log" in page
    assert "Continue" in page


def test_a_run_resumes_after_the_browser_is_closed(app, officer):
    url = start_run(client_for(app, officer))
    play(client_for(app, officer), url, GOOD_RUN[:2])
    fresh = client_for(app, officer)  # a new browser: only the server remembers
    assert "Resume run 1" in fresh.get(BASE).text
    page = fresh.get(url).text
    assert "The woman shows bruises on her arms" in page
    # The condition holds because the first choice set spoke-alone: the third choice is offered.
    assert 'value="ask-alone-again"' in page


def test_playing_to_an_ending_scores_records_and_completes(app, officer):
    client = client_for(app, officer)
    url = start_run(client)
    response = play(client, url, GOOD_RUN)
    assert response.headers["Location"].endswith("/debrief")
    run = run_of(app, url)
    assert run.status == RunStatus.FINISHED and run.node_id == "good-ending"
    assert run.percent == 100 and run.scores == {"safety": 5, "procedure": 3}
    assert [s["kind"] for s in run.path] == ["narrative", "choice", "choice", "ruling"]
    with app.app_context():
        events = db.session.scalars(
            select(LearningEvent).where(LearningEvent.user_id == officer.id)
        ).all()
        chose = [e for e in events if e.verb == Verb.CHOSE]
        assert [e.object_id for e in chose] == [
            "example-module/scenario/call/decide",
            "example-module/scenario/call/record",
            "example-module/scenario/call/report",
        ]
        assert chose[0].result == {
            "run": 1,
            "scores": {"safety": 2, "procedure": 1},
            "choice": "separate",
        }
        assert chose[2].result["values"] == {"risk": "high", "visits": 2.0}
        progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
        assert progress.state["scenarios"] == {"call": {"best": 100}}
    assert client.get(url).headers["Location"].endswith("/debrief")  # a finished run stays put


def test_debrief_shows_path_scores_feedback_expert_path_and_references(app, officer):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, [{}, {"choice": "leave"}])
    html = client.get(f"{url}/debrief").text
    assert "A second call" in html and "Your score: 0% of the expert's points" in html
    assert "You did not check whether anyone needed help." in html  # the choice's feedback
    assert '<th scope="row">Victim safety</th><td>0</td><td>5</td>' in html
    assert "The expert's path" in html and "Record the injuries and statements" in html
    assert "Nobody checked whether help was needed." in html
    assert 'id="ref-unodc-police-handbook"' in html


def test_a_units_form_agrees_with_the_number_in_both_languages(app, officer, make_user):
    russian = make_user(profession=Profession.POLICE, locale="ru", email="ru@example.org")
    for user, given, field in ((russian, "2 дня", "(дней)"), (officer, "2 days", "(days)")):
        client = client_for(app, user)
        url = start_run(client)
        play(client, url, GOOD_RUN[:3])
        assert field in client.get(url).text  # the ruling's number box: the general form
        play(client, url, GOOD_RUN[3:], first_step=3)
        assert given in client.get(f"{url}/debrief").text


def test_a_double_submitted_choice_applies_once(app, officer):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:2])
    again = client.post(url, data={"step": 1, "choice": "separate"})
    assert again.status_code == 303  # the page is shown again, nothing changes
    run = run_of(app, url)
    assert run.steps == 2 and run.node_id == "record" and len(run.path) == 2
    with app.app_context():
        assert (
            db.session.scalar(select(db.func.count()).where(LearningEvent.verb == Verb.CHOSE)) == 1
        )
    # No going back: an answer to an earlier page is refused the same way.
    client.post(url, data={"step": 1, "choice": "leave"})
    assert run_of(app, url).node_id == "record"


@pytest.mark.parametrize(
    ("data", "at_step"),
    [
        ({"choice": "fly-away"}, 1),  # not a choice at this node
        ({"choice": "document"}, 1),  # a choice of another node
        ({"step": "abc", "choice": "separate"}, 1),  # a malformed step
    ],
)
def test_tampered_choices_are_refused(app, officer, data, at_step):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:1])
    assert client.post(url, data={"step": at_step, **data}).status_code == 400
    run = run_of(app, url)
    assert (run.node_id, run.steps) == ("decide", 1)


def test_a_choice_whose_condition_is_false_is_refused(app, make_user, module_copy):
    # "Leave" now goes on to the record, where talking alone "again" needs spoke-alone.
    def reroute(d):
        d["nodes"][1]["choices"][1]["next"] = "record"
        d["nodes"][2]["choices"][1]["next"] = "poor-ending"

    edit_yaml(module_copy / "scenarios" / "call.yaml", reroute)
    sync_example(app, module_copy)
    client = client_for(app, make_user(locale="en"))
    url = start_run(client)
    play(client, url, [{}, {"choice": "leave"}])
    assert 'value="ask-alone-again"' not in client.get(url).text
    assert client.post(url, data={"step": 2, "choice": "ask-alone-again"}).status_code == 400
    assert run_of(app, url).node_id == "record"


@pytest.mark.parametrize(
    "values",
    [
        {"f-risk": "high", "f-visits": "31"},
        {"f-risk": "extreme", "f-visits": "2"},
        {"f-visits": "2"},
        {"f-risk": "high", "f-visits": "two"},
    ],
)
def test_a_ruling_out_of_range_is_refused_and_shown_again(app, officer, values):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:3])
    response = client.post(url, data={"step": 3, **values})
    assert response.status_code == 400
    # the night call is an officer's case: its form records a decision, it is not a ruling
    assert "Some parts of the form need attention." in response.text
    assert "Record the decision" in response.text and "Give the ruling" not in response.text
    assert run_of(app, url).node_id == "report"


def test_another_users_run_is_refused(app, officer, make_user):
    url = start_run(client_for(app, officer))
    other = client_for(app, make_user(locale="en"))
    assert other.get(url).status_code == 403
    assert other.post(url, data={"step": 0}).status_code == 403
    assert other.get(f"{url}/debrief").status_code == 403
    assert run_of(app, url).steps == 0
    assert other.get(f"{BASE}/runs/9999").status_code == 404
    wrong_scenario = url.replace("/scenarios/call/", "/scenarios/other/")
    assert client_for(app, officer).get(wrong_scenario).status_code == 404


def add_cohort(app, trainer, members, removed=()) -> int:
    with app.app_context():
        cohort = Cohort(name="Архангельск, 2026")
        db.session.add(cohort)
        db.session.flush()
        db.session.execute(
            Cohort.__table__.metadata.tables["cohort_trainers"]
            .insert()
            .values(cohort_id=cohort.id, user_id=trainer.id)
        )
        for user in members:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
        for user in removed:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, removed_at=utcnow()))
        db.session.commit()
        return cohort.id


def test_trainers_read_the_debriefs_of_learners_they_teach(app, officer, make_user):
    url = start_run(client_for(app, officer))
    play(client_for(app, officer), url, GOOD_RUN)
    trainer = make_user(role=Role.TRAINER, locale="en")
    trainer_client = client_for(app, trainer)
    assert trainer_client.get(f"{url}/debrief").status_code == 403
    add_cohort(app, trainer, [officer])
    assert "Help given" in trainer_client.get(f"{url}/debrief").text
    assert trainer_client.post(url, data={"step": 4}).status_code == 403  # but never play it


def test_runs_are_compared_side_by_side(app, officer):
    client = client_for(app, officer)
    first, second = start_run(client), None
    play(client, first, [{}, {"choice": "leave"}])
    second = start_run(client)
    play(client, second, GOOD_RUN)
    assert run_of(app, second).number == 2
    landing = client.get(BASE).text
    assert 'aria-label="Compare run 1"' in landing and 'aria-label="Compare run 2"' in landing
    ids = [run_of(app, u).id for u in (first, second)]
    html = client.get(f"{BASE}/compare", query_string={"run": ids}).text
    assert '<th scope="col">Run 1</th><th scope="col">Run 2</th>' in html
    assert "A second call" in html and "Help given" in html
    assert "<td>0%</td><td>100%</td>" in html


def test_class_view_counts_choices_and_ruling_values_of_current_members(app, officer, make_user):
    learners = [officer, make_user(locale="en"), make_user(locale="en")]
    gone = make_user(locale="en")
    runs = [
        GOOD_RUN,
        [
            {},
            {"choice": "separate"},
            {"choice": "advise-only"},
            {"f-risk": "low", "f-visits": "20"},
        ],
        [{}, {"choice": "leave"}],
    ]
    for learner, acts in zip([*learners, gone], [*runs, GOOD_RUN], strict=True):
        client = client_for(app, learner)
        play(client, start_run(client), acts)
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = add_cohort(app, trainer, learners, removed=[gone])
    trainer_client = client_for(app, trainer)
    html = trainer_client.get(f"{BASE}/class", query_string={"cohort": cohort_id}).text
    assert "3 runs counted." in html
    decide = html.split('id="tally-decide"')[1].split("</section>")[0]
    assert "<td>2</td>\n  <td>67%</td>" in decide and "<td>1</td>\n  <td>33%</td>" in decide
    report = html.split('id="tally-report"')[1].split("</section>")[0]
    assert "Reached in 2 runs." in report
    assert report.count("<td>1</td>\n  <td>50%</td>") == 4  # high/low, 1–3 days/other


def test_class_view_shows_the_trainers_cohort_at_once_and_counts_finished_runs_only(
    app, officer, make_user
):
    idle, halfway = make_user(locale="en"), make_user(locale="en")
    play(client_for(app, officer), start_run(client_for(app, officer)), GOOD_RUN)
    play(
        client_for(app, halfway), start_run(client_for(app, halfway)), [{}, {"choice": "separate"}]
    )
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = add_cohort(app, trainer, [officer, idle, halfway])
    with app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.slug == "example-module"))
        db.session.add(Assignment(cohort_id=cohort_id, module_id=module_id))
        db.session.commit()
    html = client_for(app, trainer).get(f"{BASE}/class").text  # no cohort chosen yet
    assert "<h2>Архангельск, 2026</h2>" in html
    assert f'<option value="{cohort_id}" selected>' in html
    # The run left halfway has no score on the dashboard, and is not counted here either.
    assert "1 run counted." in html
    every = client_for(app, trainer).get(f"{BASE}/class", query_string={"runs": "all"}).text
    assert "1 run counted." in every


def test_class_view_needs_a_trainer_who_runs_the_cohort(app, officer, make_user):
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = add_cohort(app, trainer, [officer])
    outsider = client_for(app, make_user(role=Role.TRAINER, locale="en"))
    assert outsider.get(f"{BASE}/class").status_code == 200
    assert outsider.get(f"{BASE}/class", query_string={"cohort": cohort_id}).status_code == 403
    learner = client_for(app, officer)
    assert learner.get(f"{BASE}/class", query_string={"cohort": cohort_id}).status_code == 403
    admin = client_for(app, make_user(role=Role.ADMIN, locale="en"))
    assert admin.get(f"{BASE}/class", query_string={"cohort": cohort_id}).status_code == 200


def test_class_view_runs_a_constant_number_of_queries(app, officer, make_user):
    trainer = make_user(role=Role.TRAINER, locale="en")

    def selects_for(members: int) -> int:
        learners = [make_user(locale="en") for _ in range(members)]
        for learner in learners:
            client = client_for(app, learner)
            play(client, start_run(client), GOOD_RUN)
        cohort_id = add_cohort(app, trainer, learners)
        client = client_for(app, trainer)
        client.get(f"{BASE}/class", query_string={"cohort": cohort_id})  # warm the caches
        with sql_statements(app) as statements:
            client.get(f"{BASE}/class", query_string={"cohort": cohort_id, "runs": "all"})
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    assert selects_for(2) == selects_for(6)


def test_of_two_requests_that_loaded_the_same_page_only_one_applies(app, officer):
    from trainer.learning import scenario_runs
    from trainer.learning.content import content_of

    url = start_run(client_for(app, officer))
    with app.app_context():
        run = db.session.get(ScenarioRun, run_of(app, url).id)
        progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
        scenario = content_of(run.version).scenarios["call"]
        # The other request got there first: the row moved on, this one's copy did not.
        db.session.execute(
            ScenarioRun.__table__.update()
            .where(ScenarioRun.id == run.id)
            .values(steps=1, node_id="decide")
        )
        assert run.steps == 0
        assert not scenario_runs.take_act(run, progress, scenario, 0, None, {})
        db.session.commit()
    assert run_of(app, url).path == []


def test_scene_markdown_is_rendered_once_not_per_request(app, officer, monkeypatch):
    client = client_for(app, officer)
    url = start_run(client)
    assert client.get(url).status_code == 200  # warm: the scene and exhibits are rendered

    def no_rendering(*args, **kwargs):
        raise AssertionError("Markdown rendered during a request")

    monkeypatch.setattr("trainer.learning.scenarios.render_markdown", no_rendering)
    assert "A man opens the door" in client.get(url).text


def test_forms_without_a_csrf_token_are_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    sync_example(app)
    client = app.test_client()
    user = make_user(locale="en")
    login_page = client.get("/login").text
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    sign_in(client, user, csrf_token=token)
    assert "Start a new run" in client.get(BASE).text  # signed in
    assert client.post(f"{BASE}/runs").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ScenarioRun)) == 0
