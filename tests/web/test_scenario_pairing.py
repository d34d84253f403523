"""Linked scenarios over HTTP: a judge's hearing (example-module/hearing) imports the final
variables of a night call (example-module/call) from the judge's own finished run, from the
defaults, or from an officer's run a trainer paired with the judge's."""

import pytest
from sqlalchemy import select

from tests.conftest import sync_example
from tests.web.test_scenarios import GOOD_RUN, add_cohort, client_for, play, run_of
from trainer.extensions import db
from trainer.models import (
    CohortMember,
    LearningEvent,
    Profession,
    Role,
    RunStatus,
    ScenarioRun,
    Verb,
)
from trainer.models.scenarios import ScenarioPairing
from trainer.models.types import utcnow

CALL = "/learn/example-module/scenarios/call"
HEARING = "/learn/example-module/scenarios/hearing"
POOR_CALL = [{}, {"choice": "leave"}]
DEFAULTS = {"spoke-alone": False, "evidence": 0}
GOOD_CALL_STATE = {"spoke-alone": True, "evidence": 1}


@pytest.fixture
def people(app, make_user):
    sync_example(app)
    officer = make_user(profession=Profession.POLICE, locale="en", name="Officer Ivanov")
    judge = make_user(profession=Profession.JUDGE, locale="en", name="Judge Petrova")
    trainer = make_user(role=Role.TRAINER, locale="en", name="Trainer Smirnov")
    return officer, judge, trainer


def start(client, base=HEARING) -> str:
    response = client.post(f"{base}/runs")
    assert response.status_code == 303
    return response.headers["Location"]


def call_run(app, user, acts) -> int:
    client = client_for(app, user)
    url = start(client, CALL)
    play(client, url, acts)
    run = run_of(app, url)
    assert run.status == RunStatus.FINISHED
    return run.id


def imported_from(app, user) -> dict:
    with app.app_context():
        event = db.session.scalars(
            select(LearningEvent)
            .where(
                LearningEvent.user_id == user.id,
                LearningEvent.verb == Verb.INITIALIZED,
                LearningEvent.object_id == "example-module/scenario/hearing",
            )
            .order_by(LearningEvent.id.desc())
        ).first()
        return event.result


def test_without_a_finished_call_the_hearing_starts_from_the_defaults(app, people):
    _officer, judge, _trainer = people
    client = client_for(app, judge)
    landing = client.get(HEARING).text
    assert "You have not finished a run of it yet" in landing
    assert "Inspection record and photographs" not in landing
    url = start(client)
    assert run_of(app, url).state == DEFAULTS
    assert imported_from(app, judge) == {"run": 1, "imported_from": None, "paired": False}
    page = client.get(url).text
    assert "Call log" in page and "The victim&#39;s statement" not in page
    assert "Inspection record" not in page
    # Without the record only an adjournment or a dismissal is offered: each ending is reached.
    play(client, url, [{}])
    weigh = client.get(url).text
    assert 'value="ask-for-more"' in weigh and 'value="use-record"' not in weigh
    play(client, url, [{"choice": "ask-for-more"}], first_step=1)
    finished = run_of(app, url)
    assert (finished.node_id, finished.percent) == ("adjourned", 100)
    other = start(client)
    play(client, other, [{}, {"choice": "dismiss"}])
    assert run_of(app, other).node_id == "dismissed"


def test_the_hearing_imports_the_judges_own_latest_finished_call(app, people):
    _officer, judge, _trainer = people
    call_run(app, judge, POOR_CALL)
    latest = call_run(app, judge, GOOD_RUN)
    open_call = client_for(app, judge)
    play(open_call, start(open_call, CALL), [{}])  # an unfinished run does not count
    client = client_for(app, judge)
    assert "from your latest finished run of it (run 2)" in client.get(HEARING).text
    url = start(client)
    assert run_of(app, url).state == GOOD_CALL_STATE
    assert imported_from(app, judge)["imported_from"] == latest
    page = client.get(url).text
    assert "Inspection record and photographs" in page and "The victim&#39;s statement" in page
    play(client, url, [{}, {"choice": "use-record"}])
    finished = run_of(app, url)
    assert (finished.node_id, finished.percent) == ("protected", 100)
    # The imported values stay frozen in the run: its debrief's expert path starts from them.
    debrief = client.get(f"{url}/debrief").text
    assert "On the inspection record and the photographs" in debrief
    again = start(client)
    play(client, again, [{}, {"choice": "dismiss"}])
    assert run_of(app, again).node_id == "dismissed"


def pair(app, trainer, cohort_id, importer, run_id, scenario=HEARING):
    client = client_for(app, trainer)
    return client.post(
        f"{scenario}/class/{cohort_id}/pairings",
        data={"importer": importer.id, "run": run_id},
        follow_redirects=True,
    )


def test_a_trainer_pairs_a_judge_with_an_officers_run_and_the_case_file_changes(app, people):
    officer, judge, trainer = people
    officers_run = call_run(app, officer, GOOD_RUN)
    call_run(app, judge, POOR_CALL)  # the judge's own call left no evidence
    cohort_id = add_cohort(app, trainer, [officer, judge])
    judge_client = client_for(app, judge)
    before = start(judge_client)
    assert run_of(app, before).state == DEFAULTS
    assert "Inspection record" not in judge_client.get(before).text

    class_view = client_for(app, trainer).get(
        f"{HEARING}/class", query_string={"cohort": cohort_id}
    )
    assert "Pair runs: whose case file comes to court" in class_view.text
    assert f'<option value="{officers_run}">Officer Ivanov, run 1' in class_view.text
    response = pair(app, trainer, cohort_id, judge, officers_run)
    assert "Paired: their next new run of this case starts from that run." in response.text
    assert "Judge Petrova" in response.text.split('id="pairing-title"')[1]

    assert "the run your trainer paired with yours (run 1 of Officer Ivanov)" in (
        judge_client.get(HEARING).text
    )
    after = start(judge_client)
    assert run_of(app, after).state == GOOD_CALL_STATE
    assert run_of(app, before).state == DEFAULTS  # a run started before keeps its case file
    assert imported_from(app, judge) == {"run": 2, "imported_from": officers_run, "paired": True}
    page = judge_client.get(after).text
    assert "Inspection record and photographs" in page and "The victim&#39;s statement" in page
    play(judge_client, after, [{}, {"choice": "use-record"}])
    assert run_of(app, after).node_id == "protected"

    with app.app_context():
        pairing_id = db.session.scalar(select(ScenarioPairing.id))
    removed = client_for(app, trainer).post(
        f"{HEARING}/class/{cohort_id}/pairings/{pairing_id}/delete", follow_redirects=True
    )
    assert "The pairing was removed" in removed.text
    assert run_of(app, start(judge_client)).state == DEFAULTS  # the judge's own call again


def test_a_pairing_needs_current_members_and_a_finished_run_of_the_source(app, people, make_user):
    officer, judge, trainer = people
    finished = call_run(app, officer, GOOD_RUN)
    officer_client = client_for(app, officer)
    unfinished_url = start(officer_client, CALL)
    play(officer_client, unfinished_url, [{}])
    unfinished = run_of(app, unfinished_url).id
    outsider = make_user(profession=Profession.JUDGE, locale="en")
    cohort_id = add_cohort(app, trainer, [officer, judge])

    def refused(importer, run_id, scenario=HEARING) -> str:
        html = pair(app, trainer, cohort_id, importer, run_id, scenario).text
        with app.app_context():
            assert db.session.scalar(select(ScenarioPairing.id)) is None
        return html

    assert "must be current members of the cohort" in refused(outsider, finished)
    assert "Choose a run that was played to an ending." in refused(judge, unfinished)
    assert "This scenario does not import from another one." in refused(judge, finished, CALL)
    judges_hearing = start(client_for(app, judge))
    assert "Choose a run of the scenario this one imports from." in refused(
        judge, run_of(app, judges_hearing).id
    )
    assert "Choose a member and a finished run" in refused(judge, "")
    other_trainer = make_user(role=Role.TRAINER, locale="en")
    response = client_for(app, other_trainer).post(
        f"{HEARING}/class/{cohort_id}/pairings", data={"importer": judge.id, "run": finished}
    )
    assert response.status_code == 403


def test_a_pairing_stops_counting_when_the_officer_leaves_the_cohort(app, people):
    officer, judge, trainer = people
    officers_run = call_run(app, officer, GOOD_RUN)
    cohort_id = add_cohort(app, trainer, [officer, judge])
    pair(app, trainer, cohort_id, judge, officers_run)
    with app.app_context():
        member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == officer.id))
        member.removed_at = utcnow()
        db.session.commit()
    url = start(client_for(app, judge))
    assert run_of(app, url).state == DEFAULTS
    with app.app_context():
        assert db.session.scalar(select(ScenarioRun.id).where(ScenarioRun.id == officers_run))
