"""The inter-agency module's linked case over HTTP: what the officer records in part one
(linked-call) is the judge's case file in part two (linked-hearing), through a trainer's
pairing, and it decides what the court can do."""

from pathlib import Path

import pytest

from tests.conftest import sync_example
from tests.web.test_scenarios import add_cohort, client_for, play, run_of
from trainer.models import Profession, Role

MODULE = Path(__file__).resolve().parents[2] / "modules" / "interagency-coordination"
CALL = "/learn/interagency-coordination/scenarios/linked-call"
HEARING = "/learn/interagency-coordination/scenarios/linked-hearing"
THOROUGH_CALL = [
    {},
    {"choice": "separate"},
    {},
    {"choice": "document-and-refer"},
    {"choice": "child-with-specialist"},
    {"choice": "take-statement"},
    {"choice": "rights-and-explanation"},
    {"choice": "safety-plan"},
    {},
    {"choice": "full-protocol"},
]
HASTY_CALL = [
    {},
    {"choice": "together"},
    {},
    {"choice": "advise-doctor"},
    {"choice": "ask-in-corridor"},
    {"choice": "thank-her"},
    {"choice": "warn-only"},
    {"choice": "number-only"},
    {},
    {"choice": "short-protocol"},
]
EXHIBITS = {
    "protocol-full": "Attachments: listed",
    "victim-statement": "The victim&#39;s statement, taken alone",
    "photo-table": "Photo table",
    "expert-conclusion": "The forensic medical expert&#39;s conclusion",
    "neighbour-statement": "N. I. Belova&#39;s statement",
    "child-interview": "Record of the interview with Artyom",
    "corridor-note": "The officer&#39;s note of the child&#39;s words",
}


@pytest.fixture
def group(app, make_user):
    sync_example(app, MODULE)
    thorough = make_user(profession=Profession.POLICE, locale="en", name="Officer Orlov")
    hasty = make_user(profession=Profession.POLICE, locale="en", name="Officer Zimin")
    judge = make_user(profession=Profession.JUDGE, locale="en", name="Judge Petrova")
    trainer = make_user(role=Role.TRAINER, locale="en")
    return thorough, hasty, judge, trainer


def officer_run(app, user, acts) -> int:
    client = client_for(app, user)
    url = client.post(f"{CALL}/runs").headers["Location"]
    play(client, url, acts)
    run = run_of(app, url)
    assert run.finished
    return run.id


def shown(html: str) -> set[str]:
    return {doc for doc, title in EXHIBITS.items() if title in html}


def hearing_run(app, judge) -> tuple:
    client = client_for(app, judge)
    url = client.post(f"{HEARING}/runs").headers["Location"]
    return client, url, shown(client.get(url).text)


def pair(app, trainer, cohort_id, judge, run_id):
    response = client_for(app, trainer).post(
        f"{HEARING}/class/{cohort_id}/pairings", data={"importer": judge.id, "run": run_id}
    )
    assert response.status_code == 302


def test_the_officers_work_is_the_judges_case_file(app, group):
    thorough, hasty, judge, trainer = group
    full, thin = officer_run(app, thorough, THOROUGH_CALL), officer_run(app, hasty, HASTY_CALL)
    cohort_id = add_cohort(app, trainer, [thorough, hasty, judge])

    # Not played, not paired: the typical file (the defaults).
    _client, _url, typical = hearing_run(app, judge)
    assert typical == {"victim-statement", "expert-conclusion", "neighbour-statement"}

    pair(app, trainer, cohort_id, judge, full)
    client, url, exhibits = hearing_run(app, judge)
    assert exhibits == set(EXHIBITS) - {"corridor-note"}
    play(
        client,
        url,
        [
            {},
            {"choice": "schedule"},
            {},
            {"choice": "hear-victim"},
            {},
            {"choice": "read-conclusion"},
            {"choice": "examine-photos"},
            {"choice": "call-neighbour"},
            {"choice": "child-record"},
            {"choice": "guilty"},
            {"f-kind": "works"},
        ],
    )
    assert (run_of(app, url).node_id, run_of(app, url).percent) == ("decided", 100)

    pair(app, trainer, cohort_id, judge, thin)
    client, url, exhibits = hearing_run(app, judge)
    assert exhibits == {"corridor-note"}
    page = client.get(url).text
    assert "No witnesses or attachments are listed." in page
    play(client, url, [{}, {"choice": "schedule"}, {}])
    # Without her statement taken alone the victim wavers, and guilt cannot be proven.
    assert 'value="hear-victim-late"' in client.get(url).text
    play(
        client,
        url,
        [
            {"choice": "hear-victim-late"},
            {},
            {"choice": "order-examination-late"},
            {"choice": "ask-about-photos"},
            {"choice": "find-caller"},
            {"choice": "corridor-weight"},
        ],
        first_step=3,
    )
    verdict = client.get(url).text
    assert 'value="terminate-doubt"' in verdict and 'value="guilty"' not in verdict
    play(client, url, [{"choice": "terminate-doubt"}], first_step=9)
    assert (run_of(app, url).node_id, run_of(app, url).percent) == ("not-proven", 100)
