"""A scenario choice's checks, in order, on what it reads in one statement: the module (404),
its audience (403), the run (404), its learner (403), its module and scenario (404); a run on
an earlier version plays on that version; a learner whose progress row is gone gets a new one."""

import pytest
from sqlalchemy import delete, func, select

from tests.conftest import EXAMPLE_MODULE, sync_example
from tests.unit.test_content_validate import edit_yaml
from tests.web.test_scenarios import (
    BASE,
    GOOD_RUN,
    client_for,
    play,
    run_of,
    start_run,
)
from trainer.extensions import db
from trainer.models import LearningEvent, Profession, Progress, Verb

SAFETY = EXAMPLE_MODULE.parent / "safety-planning-practice"


@pytest.fixture
def officer(app, make_user):
    sync_example(app)
    return make_user(profession=Profession.POLICE, locale="en")


def chose_events(app) -> int:
    with app.app_context():
        query = select(func.count()).where(LearningEvent.verb == Verb.CHOSE)
        return db.session.scalar(query)


def test_a_choice_is_refused_in_the_order_of_its_checks(app, officer, make_user):
    sync_example(app, SAFETY)  # another module the officer may open
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:1])
    run_id = url.rsplit("/", 1)[1]
    choice = {"step": 1, "choice": "separate"}

    refused = {
        f"/learn/no-such-module/scenarios/call/runs/{run_id}": 404,
        f"{BASE}/runs/9999": 404,
        f"/learn/example-module/scenarios/hearing/runs/{run_id}": 404,
        f"/learn/safety-planning-practice/scenarios/call/runs/{run_id}": 404,
        f"/learn/safety-planning-practice/scenarios/kitchen-talk/runs/{run_id}": 404,
    }
    for path, status in refused.items():
        assert client.post(path, data=choice).status_code == status, path

    other_officer = client_for(app, make_user(profession=Profession.POLICE, locale="en"))
    assert other_officer.post(url, data=choice).status_code == 403
    # Outside the module's audience: refused before the run is looked at.
    social_worker = client_for(app, make_user(profession=Profession.SOCIAL_WORKER, locale="en"))
    assert social_worker.post(url, data=choice).status_code == 403
    assert social_worker.post(f"{BASE}/runs/9999", data=choice).status_code == 403

    run = run_of(app, url)
    assert (run.node_id, run.steps) == ("decide", 1)
    assert chose_events(app) == 0
    assert client.post(url, data=choice).status_code == 303  # the run itself still plays
    assert chose_events(app) == 1


def test_a_run_on_an_earlier_version_plays_on_it(app, officer, module_copy):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:2])

    def retitle(data):
        data["title"]["en"] = "A night call, told again"

    edit_yaml(module_copy / "scenarios" / "call.yaml", retitle)
    sync_example(app, module_copy)  # a new latest version; the run stays on its own
    play(client, url, GOOD_RUN[2:], first_step=2)
    run = run_of(app, url)
    assert run.finished and run.steps == len(GOOD_RUN)
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
        assert progress.module_version_id == run.module_version_id
        assert progress.state["scenarios"]["call"]["best"] == run.percent


def test_a_choice_starts_a_progress_row_that_is_gone(app, officer):
    client = client_for(app, officer)
    url = start_run(client)
    play(client, url, GOOD_RUN[:1])
    with app.app_context():
        db.session.execute(delete(Progress).where(Progress.user_id == officer.id))
        db.session.commit()

    assert client.post(url, data={"step": 1, "choice": "separate"}).status_code == 303
    assert run_of(app, url).steps == 2
    assert chose_events(app) == 1
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
        assert progress is not None and progress.row_version >= 1


def test_a_choice_redirects_to_the_runs_page_then_to_its_debrief(app, officer):
    client = client_for(app, officer)
    url = start_run(client)  # e.g. /learn/example-module/scenarios/call/runs/1
    run_id = int(url.rsplit("/", 1)[1])
    padded = f"{url.rsplit('/', 1)[0]}/{run_id:08d}"  # the same run, its number written longer
    assert client.post(padded, data={"step": 0}).headers["Location"] == url
    prefixed = {"base_url": "http://localhost/trainer"}  # served under a path prefix
    for step, data in enumerate(GOOD_RUN[1:-1], start=1):
        reply = client.post(url, data={"step": step, **data}, **prefixed)
        assert reply.headers["Location"] == f"/trainer{url}"
    last = client.post(url, data={"step": len(GOOD_RUN) - 1, **GOOD_RUN[-1]})
    assert last.headers["Location"] == f"{url}/debrief"
