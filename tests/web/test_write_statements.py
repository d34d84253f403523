"""An autosave and a scenario choice read everything first and write last, in few statements.

On SQLite a request holds the single write lock from its first write to its commit, and every
other learner's save waits for it meanwhile: nothing is read once the writing has begun
(trainer/learning/attempts.py, trainer/learning/scenario_runs.py).
"""

import re

from tests.conftest import sign_in, sql_statements, sync_example
from tests.quiz_helpers import sync_quiz
from trainer.models import Profession

QUIZ = "/learn/example-module/quizzes/check"
SCENARIO = "/learn/example-module/scenarios/call"
JSON = {"Accept": "application/json"}


def writes_after_reads(sent: list[str]) -> tuple[list[str], list[str]]:
    """The first word of each statement: (those before the first write, those from it on)."""
    kinds = [statement.split(None, 1)[0].upper() for statement in sent]
    first = next(i for i, kind in enumerate(kinds) if kind in ("INSERT", "UPDATE", "DELETE"))
    return kinds[:first], kinds[first:]


def test_an_autosave_reads_first_and_writes_only_what_changed(app, module_copy, make_user):
    sync_quiz(app, module_copy, draw=None)
    client = app.test_client()
    sign_in(client, make_user(locale="en"))
    started = client.post(f"{QUIZ}/start")
    attempt = f"{QUIZ}/attempts/" + re.search(r"/attempts/(\d+)", started.headers["Location"])[1]
    first = {"shown": "arrival-time", "a.arrival-time": "25"}
    assert client.post(attempt, data=first, headers=JSON).status_code == 200

    again = {**first, "revision-arrival-time": "1"}
    with sql_statements(app) as sent:
        assert client.post(attempt, data=again, headers=JSON).json["revisions"] == {
            "arrival-time": 1
        }
    reads, writes = writes_after_reads(sent)
    assert writes == ["UPDATE"]  # the claim of the open attempt; the same answer is not written
    assert reads.count("SELECT") <= 3  # the user, the attempt, its answers

    changed = {**first, "a.arrival-time": "30", "revision-arrival-time": "1"}
    with sql_statements(app) as sent:
        assert client.post(attempt, data=changed, headers=JSON).json["revisions"] == {
            "arrival-time": 2
        }
    assert writes_after_reads(sent)[1] == ["UPDATE", "UPDATE"]  # the claim, the answer


def test_a_scenario_choice_reads_in_two_statements_and_writes_three(app, make_user):
    sync_example(app)
    client = app.test_client()
    sign_in(client, make_user(profession=Profession.POLICE, locale="en"))
    run = client.post(f"{SCENARIO}/runs").headers["Location"]
    assert client.post(run, data={"step": 0}).status_code == 303  # past the opening narrative

    with sql_statements(app) as sent:
        assert client.post(run, data={"step": 1, "choice": "separate"}).status_code == 303
    reads, writes = writes_after_reads(sent)
    assert reads == ["SELECT", "SELECT"]  # the user; the module, the progress and the run
    assert writes == ["UPDATE", "INSERT", "UPDATE"]  # the run, the event, the progress
