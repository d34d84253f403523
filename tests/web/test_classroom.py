"""Classroom mode over HTTP: starting a session, joining by code (signed in or as a guest),
voting from the phone page, the trainer's controls (theirs alone), the status poll and the
debrief; bad input is a 4xx, never a 500. The state machine itself: tests/unit/test_classroom.py.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import sign_in, sql_statements, sync_example
from tests.web.test_scenarios import add_cohort
from trainer.extensions import db
from trainer.models import (
    ClassSession,
    ClassVote,
    LearningEvent,
    Profession,
    Progress,
    Role,
    ScenarioRun,
    Verb,
)
from trainer.models.types import utcnow

NEW = "/class/new?module=example-module&scenario=call"
EN = {"Accept-Language": "en"}


@pytest.fixture
def people(app, make_user):
    sync_example(app)
    return {
        "trainer": make_user(role=Role.TRAINER, profession=Profession.OTHER, locale="en"),
        "officer": make_user(profession=Profession.POLICE, locale="en", name="Officer Ivanov"),
        "judge": make_user(profession=Profession.JUDGE, locale="ru", name="Судья Петрова"),
        "other": make_user(profession=Profession.POLICE, locale="en", name="Other Cohort"),
        "rival": make_user(role=Role.TRAINER, profession=Profession.OTHER, locale="en"),
    }


def client_for(app, user=None):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def start(client, query="", **data) -> str:
    response = client.post(NEW + query, data={"cohort": "0", **data})
    assert response.status_code == 303, response.text
    return response.headers["Location"].split("/")[2]


def joined(app, user, code):
    client = client_for(app, user)
    assert client.post(f"/class/{code}/join", data={}).status_code == 303
    return client


def act(client, code, action, step, **data):
    response = client.post(f"/class/{code}/{action}", data={"step": step, **data})
    assert response.status_code == 303, response.text
    return response


def session_of(app, code) -> ClassSession:
    with app.app_context():
        return db.session.scalar(select(ClassSession).where(ClassSession.code == code))


def votes(app, code) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(ClassVote.step, ClassVote.choice_id, ClassVote.revision)
            .join(ClassSession, ClassSession.id == ClassVote.session_id)
            .where(ClassSession.code == code)
            .order_by(ClassVote.id)
        )
        return [tuple(row) for row in rows]


def test_a_room_votes_and_the_trainer_runs_the_trial_to_its_debrief(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer, judge = joined(app, people["officer"], code), joined(app, people["judge"], code)
    page = officer.get(f"/class/{code}").text
    assert "You can hear crying from a room." in page and "Listen to the trainer" in page
    assert "Из комнаты слышен плач." in judge.get(f"/class/{code}").text  # her own language
    act(trainer, code, "advance", 0, by="trainer")
    for client, choice in ((officer, "separate"), (judge, "separate")):
        act(client, code, "vote", 1, choice=choice)
    control = trainer.get(f"/class/{code}/control").text
    assert "2 votes." in control and "Police officer" in control and "Judge" in control
    act(trainer, code, "reveal", 1)
    revealed = officer.get(f"/class/{code}").text
    assert "Right. With the abuser present, a victim often stays silent." in revealed
    act(trainer, code, "advance", 1, by="majority")
    act(officer, code, "vote", 2, choice="document")
    act(trainer, code, "close", 2)
    act(trainer, code, "advance", 2, by="trainer", choice="advise-only")
    act(officer, code, "vote", 3, **{"f-risk": "high", "f-visits": "2"})
    act(judge, code, "vote", 3, **{"f-risk": "low", "f-visits": "5"})
    act(judge, code, "vote", 3, **{"f-risk": "high", "f-visits": "5"})  # changed
    act(trainer, code, "reveal", 3)
    ruling = officer.get(f"/class/{code}").text
    assert "Values given: 2, 5 (days)." in ruling and "Median: 2" in ruling
    assert "A crying child and visible bruises point to risk." in ruling  # "low" feedback
    act(trainer, code, "advance", 3, by="majority")
    live = session_of(app, code)
    assert live.node_id == "good-ending" and live.status == "closed"
    assert [s.get("by") for s in live.path] == [None, "majority", "trainer", "majority"]
    debrief = officer.get(f"/class/{code}/debrief").text
    assert "The room's score: 75% of the expert's points" in debrief
    assert "by the trainer's choice" in debrief and "The expert's path" in debrief
    assert trainer.get(f"/class/{code}/debrief").status_code == 200
    with app.app_context():
        events = db.session.scalars(
            select(LearningEvent).where(LearningEvent.user_id == people["officer"].id)
        ).all()
        assert [e.verb for e in events] == [Verb.VOTED] * 3
        assert db.session.scalar(select(func.count(Progress.id))) == 0


def test_the_trainer_s_controls_are_the_session_trainer_s_alone(app, people):
    code = start(client_for(app, people["trainer"]))
    outsiders = {
        "rival": client_for(app, people["rival"]),
        "learner": joined(app, people["officer"], code),
    }
    routes = [("GET", "control"), ("GET", "projector")] + [
        ("POST", action) for action in ("close", "reveal", "advance", "end")
    ]
    for name, client in outsiders.items():
        for method, action in routes:
            response = client.open(f"/class/{code}/{action}", method=method, data={"step": 0})
            assert response.status_code == 403, (name, action)
    anonymous = client_for(app)
    for method, action in routes:
        response = anonymous.open(f"/class/{code}/{action}", method=method, data={"step": 0})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert session_of(app, code).row_version == 1  # nothing moved


def test_a_cohort_s_session_admits_its_members_only(app, people):
    cohort = add_cohort(app, people["trainer"], [people["officer"]])
    code = start(client_for(app, people["trainer"]), cohort=str(cohort))
    assert joined(app, people["officer"], code)
    other = client_for(app, people["other"])
    assert other.get(f"/class/{code}").status_code == 403
    assert other.post(f"/class/{code}/join", data={}).status_code == 403
    assert other.post(f"/class/{code}/vote", data={"step": 0}).status_code == 403
    assert other.get(f"/class/{code}/status.json").status_code == 403
    guest = client_for(app)
    assert "/login" in guest.get(f"/class/{code}").headers["Location"]
    # A rival trainer may not start a session for a cohort they do not run.
    rival = client_for(app, people["rival"])
    assert rival.post(NEW, data={"cohort": str(cohort)}).status_code == 400  # not a choice
    trainer = client_for(app, people["trainer"])
    refused = trainer.post(NEW, data={"cohort": str(cohort), "allow_guests": "y"})
    assert refused.status_code == 400
    assert "Guests may join only a session open to anyone." in refused.text


def test_a_double_vote_counts_once_and_a_vote_after_the_close_is_refused(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer, judge = joined(app, people["officer"], code), joined(app, people["judge"], code)
    act(trainer, code, "advance", 0, by="trainer")
    act(officer, code, "vote", 1, choice="leave")
    act(officer, code, "vote", 1, choice="leave")
    act(officer, code, "vote", 1, choice="separate")
    assert votes(app, code) == [(1, "separate", 2)]
    act(trainer, code, "close", 1)
    late = judge.post(f"/class/{code}/vote", data={"step": 1, "choice": "leave"})
    assert "Голосование закрыто: ваш голос не учтён." in judge.get(late.location).text
    act(officer, code, "vote", 1, choice="leave")
    assert votes(app, code) == [(1, "separate", 2)]
    stale = officer.post(f"/class/{code}/vote", data={"step": 0, "choice": "leave"})
    assert stale.status_code == 303 and votes(app, code) == [(1, "separate", 2)]
    # A second click on "move on" applies once: the step has changed under it.
    act(trainer, code, "advance", 1, by="majority")
    act(trainer, code, "advance", 1, by="trainer", choice="leave")
    live = session_of(app, code)
    assert (live.node_id, live.steps) == ("record", 2)


def test_a_tie_leaves_the_choice_to_the_trainer(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer, judge = joined(app, people["officer"], code), joined(app, people["judge"], code)
    act(trainer, code, "advance", 0, by="trainer")
    act(officer, code, "vote", 1, choice="separate")
    act(judge, code, "vote", 1, choice="leave")
    act(trainer, code, "close", 1)
    page = trainer.get(f"/class/{code}/control").text
    assert "No majority (a tie, or no votes): choose the way on yourself." in page
    response = act(trainer, code, "advance", 1, by="majority")
    assert "There is no majority" in trainer.get(response.location).text
    assert session_of(app, code).node_id == "decide"


def test_guests_join_by_name_where_the_trainer_allows_it(app, people):
    trainer = client_for(app, people["trainer"])
    closed_to_guests = start(trainer)
    guest = client_for(app)
    assert "/login" in guest.get(f"/class/{closed_to_guests}").headers["Location"]
    assert "/login" in guest.post(f"/class/{closed_to_guests}/join").headers["Location"]
    code = start(trainer, allow_guests="y", counts_progress="y")
    form = guest.get(f"/class/{code}", headers=EN).text
    assert "Join as a guest" in form
    nameless = guest.post(f"/class/{code}/join", data={"name": " ", "profession": "judge"})
    assert nameless.status_code == 400
    bad = guest.post(f"/class/{code}/join", data={"name": "Мария", "profession": "chef"})
    assert bad.status_code == 400
    response = guest.post(f"/class/{code}/join", data={"name": "Мария", "profession": "judge"})
    assert response.status_code == 303
    assert "Guests are not counted" in guest.get(f"/class/{code}", headers=EN).text
    act(trainer, code, "advance", 0, by="trainer")
    act(guest, code, "vote", 1, choice="separate")
    assert votes(app, code) == [(1, "separate", 1)]
    assert client_for(app).post(f"/class/{code}/vote", data={"step": 1}).status_code == 403
    act(trainer, code, "end", 1)
    assert guest.get(f"/class/{code}/debrief").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(LearningEvent.id))) == 0


def test_nothing_of_the_expert_path_before_the_debrief(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer = joined(app, people["officer"], code)
    act(trainer, code, "advance", 0, by="trainer")
    act(trainer, code, "reveal", 1)
    for client in (officer, trainer):
        for path in ("", "/projector", "/control"):
            text = client.get(f"/class/{code}{path}").text
            assert "expert" not in text.lower()
    response = officer.get(f"/class/{code}/debrief")
    assert response.status_code == 302 and response.location.endswith(f"/class/{code}")


def test_the_status_poll_is_one_query_and_answers_304_until_the_trial_moves(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer, allow_guests="y")
    guest = client_for(app)
    guest.post(f"/class/{code}/join", data={"name": "Guest", "profession": "police"})
    with sql_statements(app) as statements:
        first = guest.get(f"/class/{code}/status.json")
    assert len(statements) == 1
    assert first.json == {
        "status": "open",
        "phase": "voting",
        "node": "arrival",
        "step": 0,
        "version": 1,
    }
    etag = first.headers["ETag"]
    unchanged = guest.get(f"/class/{code}/status.json", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and not unchanged.data
    act(trainer, code, "advance", 0, by="trainer")
    moved = guest.get(f"/class/{code}/status.json", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.json["node"] == "decide"
    assert client_for(app).get(f"/class/{code}/status.json").status_code == 403
    # The trainer's poll also counts the votes at the current step and the participants.
    assert trainer.get(f"/class/{code}/status.json").json["room"] == "0/1"
    act(guest, code, "vote", 1, choice="leave")
    assert trainer.get(f"/class/{code}/status.json").json["room"] == "1/1"
    assert "room" not in guest.get(f"/class/{code}/status.json").json


def test_an_idle_session_is_closed_when_next_looked_at(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer = joined(app, people["officer"], code)
    with app.app_context():
        db.session.execute(
            update(ClassSession)
            .where(ClassSession.code == code)
            .values(last_activity_at=utcnow() - timedelta(minutes=181))
        )
        db.session.commit()
    assert officer.get(f"/class/{code}/status.json").json["status"] == "closed"
    assert "The session has ended." in officer.get(f"/class/{code}").text


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/class/AB%00CDE", None),
        ("GET", "/class/" + "Z" * 5000, None),
        ("GET", "/class/ZZZZZZ/status.json", None),
        ("GET", "/class?code=%00", None),
        ("POST", "/class/{code}/vote", {"step": "99999999999999999999999", "choice": "leave"}),
        ("POST", "/class/{code}/vote", {"step": "-1", "choice": "leave"}),
        ("POST", "/class/{code}/vote", {"step": "1", "choice": "leave\x00"}),
        ("POST", "/class/{code}/vote", {"step": "1", "choice": "x" * 100_000}),
        ("POST", "/class/{code}/advance", {"step": "1", "by": "luck"}),
        ("POST", "/class/{code}/advance", {"step": "1", "by": "trainer", "choice": "nope"}),
        ("POST", "/class/new?module=example-module&scenario=call", {"cohort": "9" * 30}),
        ("GET", "/class/new?module=example-module&scenario=nope", None),
        ("GET", "/class/new?module=example-module&scenario=call&cohort=" + "9" * 30, None),
        ("GET", "/class/sessions?cohort=" + "9" * 30, None),
    ],
)
def test_bad_input_is_refused_without_a_500(app, people, method, path, data):
    trainer = client_for(app, people["trainer"])
    code = start(trainer)
    officer = joined(app, people["officer"], code)
    act(trainer, code, "advance", 0, by="trainer")
    act(trainer, code, "close", 1)
    client = officer if "/vote" in path else trainer
    response = client.open(path.format(code=code), method=method, data=data)
    assert response.status_code < 500
    if response.status_code in (302, 303):  # refused with a message, nothing changed
        assert votes(app, code) == [] and session_of(app, code).steps == 1
    else:
        assert response.status_code in (200, 400, 404), response.status_code


def test_trainers_start_sessions_from_the_scenario_and_review_them_from_the_cohort(app, people):
    landing = "/learn/example-module/scenarios/call"
    trainer = client_for(app, people["trainer"])
    assert "Run live in class" in trainer.get(landing, headers=EN).text
    assert "Run live in class" not in client_for(app, people["officer"]).get(landing).text
    cohort = add_cohort(app, people["trainer"], [people["officer"]])
    class_view = trainer.get(f"{landing}/class?cohort={cohort}").text
    assert f"/class/new?module=example-module&amp;scenario=call&amp;cohort={cohort}" in class_view
    form = trainer.get(f"{NEW}&cohort={cohort}").text
    assert f'<option selected value="{cohort}">' in form
    code = start(trainer, cohort=str(cohort))
    other = start(trainer)
    listed = trainer.get(f"/class/sessions?cohort={cohort}").text
    assert code in listed and other not in listed
    assert f"/class/sessions?cohort={cohort}" in trainer.get(f"/cohorts/{cohort}/").text
    # The cohort's other trainers review it too; a rival trainer does not see it.
    assert code not in client_for(app, people["rival"]).get("/class/sessions").text


def test_a_cohort_s_session_runs_the_version_its_assignment_pins(app, people, module_copy):
    from tests.unit.test_content_validate import edit_yaml
    from tests.web.test_cohorts import assign
    from trainer.models import Module

    with app.app_context():
        first = db.session.scalar(select(Module.latest_version_id))

    def retitle(data):
        data["title"]["en"] = "A night call, revised"

    edit_yaml(module_copy / "scenarios" / "call.yaml", retitle)
    sync_example(app, module_copy)
    cohort = add_cohort(app, people["trainer"], [people["officer"]])
    assign(app, cohort, version_id=first)
    trainer = client_for(app, people["trainer"])
    pinned = start(trainer, cohort=str(cohort))
    latest = start(trainer)
    assert session_of(app, pinned).module_version_id == first
    assert session_of(app, latest).module_version_id != first
    assert "revised" in trainer.get(f"/class/{latest}/control").text
    assert "revised" not in trainer.get(f"/class/{pinned}/control").text


def test_typing_codes_and_joining_is_limited_per_address_but_polling_is_not(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer, allow_guests="y")
    guest = client_for(app)
    guest.post(f"/class/{code}/join", data={"name": "Guest", "profession": "police"})
    for _ in range(119):
        assert guest.get("/class?code=ZZZZZZ").status_code == 302
    assert guest.get("/class?code=ZZZZZZ").status_code == 429
    assert guest.post(f"/class/{code}/join", data={"name": "X"}).status_code == 429
    for _ in range(150):
        assert guest.get(f"/class/{code}/status.json").status_code == 200


def policy_class_session(app, cohort_id: int) -> str:
    """For the route matrix: an open session of the night call for a cohort, started by its
    trainer (not the matrix's trainer); its code."""
    from trainer.learning import classroom as room
    from trainer.models import Cohort, Module

    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        scenario = room.content_of(module.latest_version).scenarios["call"]
        live = room.start_session(cohort.trainers[0], module.latest_version, scenario, cohort)
        db.session.commit()
        return live.code


def test_a_counting_session_finishes_the_scenario_for_those_who_voted_throughout(app, people):
    trainer = client_for(app, people["trainer"])
    code = start(trainer, counts_progress="y")
    officer, judge = joined(app, people["officer"], code), joined(app, people["judge"], code)
    control = trainer.get(f"/class/{code}/control").text
    assert "This session counts toward the participants" in control
    assert officer.post(f"/class/{code}/counting", data={"counts": "0"}).status_code == 403
    notice = "This session counts toward your progress if you vote at every decision."
    room_notice = "Counts toward the progress of every signed-in participant who votes"
    assert notice in officer.get(f"/class/{code}", headers=EN).text
    assert room_notice in trainer.get(f"/class/{code}/projector", headers=EN).text
    act(trainer, code, "counting", 0, counts="0")
    assert not session_of(app, code).counts_progress
    assert notice not in officer.get(f"/class/{code}", headers=EN).text
    assert room_notice not in trainer.get(f"/class/{code}/projector", headers=EN).text
    act(trainer, code, "counting", 0, counts="1")
    assert trainer.post(f"/class/{code}/counting", data={"counts": "2"}).status_code == 400
    act(trainer, code, "advance", 0, by="trainer")
    for step, choice in ((1, "separate"), (2, "document")):
        act(officer, code, "vote", step, choice=choice)
        if step == 1:
            act(judge, code, "vote", step, choice=choice)  # the judge misses the second
        act(trainer, code, "close", step)
        act(trainer, code, "advance", step, by="majority")
    act(officer, code, "vote", 3, **{"f-risk": "high", "f-visits": "2"})
    act(trainer, code, "close", 3)
    act(trainer, code, "advance", 3, by="majority")
    assert session_of(app, code).counted_at is not None
    # The officer's progress sees a finished run: 1 of 4 requirements.
    my = officer.get("/learn/my").text
    assert "Responding to a domestic violence call" in my and "25% done" in my
    with app.app_context():
        progress = db.session.scalars(select(Progress)).all()
        assert [(p.user_id, p.state["scenarios"]["call"]["best"]) for p in progress] == [
            (people["officer"].id, 100)
        ]
        run_id = db.session.scalar(select(ScenarioRun.id))
    # The run is the officer's like any other: listed with the scenario, with its own debrief.
    scenario_page = officer.get("/learn/example-module/scenarios/call").text
    assert f"/runs/{run_id}/debrief" in scenario_page
    run_debrief = officer.get(f"/learn/example-module/scenarios/call/runs/{run_id}/debrief")
    assert run_debrief.status_code == 200 and "100%" in run_debrief.text
    assert "ended · counted toward progress" in trainer.get("/class/sessions").text
    review = trainer.get(f"/class/{code}/debrief").text
    assert "Officer Ivanov: counted" in review
    assert "Судья Петрова: not counted: did not vote at every decision" in review
    own = officer.get(f"/class/{code}/debrief").text
    assert "The session counted toward your progress" in own and "Судья Петрова" not in own
    missed = judge.get(f"/class/{code}/debrief").text
    assert "вы проголосовали не на каждом решении" in missed  # in her own language
    # Ended already: no counting again, nothing new recorded.
    assert trainer.post(f"/class/{code}/end", data={}).status_code == 303
    act(trainer, code, "counting", 4, counts="0")
    with app.app_context():
        assert db.session.scalar(select(func.count(ScenarioRun.id))) == 1
        assert session_of(app, code).counts_progress
