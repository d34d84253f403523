"""Parallel requests of the same learners against gunicorn (two processes): no lost update,
no duplicate event, no error, on SQLite and on PostgreSQL."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from trainer.extensions import db
from trainer.models import LearningEvent, Progress, ScenarioRun, Verb

MODULE = "/learn/example-module"
LEARNERS = 20


def in_parallel(calls) -> list[tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda call: call(), calls))


def statuses(results) -> Counter:
    return Counter(status for status, _page in results)


def test_two_lessons_done_at_once_are_both_kept(app, make_user, browser_for):
    learners = [make_user(email=f"officer{n}@example.org") for n in range(LEARNERS)]
    browsers = [browser_for(learner) for learner in learners]
    for browser in browsers:  # the texts were shown: a lesson is done only after that
        for lesson in ("intro", "after-the-call"):
            assert browser.request(f"{MODULE}/lessons/{lesson}")[0] == 200

    calls = [
        (lambda b=browser, lesson=lesson: b.request(f"{MODULE}/lessons/{lesson}/done", {}))
        for browser in browsers
        for lesson in ("intro", "after-the-call")
    ]
    assert statuses(in_parallel(calls)) == {302: 2 * LEARNERS}

    with app.app_context():
        for learner in learners:
            progress = db.session.scalar(select(Progress).where(Progress.user_id == learner.id))
            assert sorted(progress.state["lessons"]) == ["after-the-call", "intro"]
        completed = db.session.execute(
            select(LearningEvent.user_id, LearningEvent.object_id, func.count())
            .where(LearningEvent.verb == Verb.COMPLETED)
            .group_by(LearningEvent.user_id, LearningEvent.object_id)
        ).all()
        assert len(completed) == 2 * LEARNERS
        assert {count for *_key, count in completed} == {1}


def test_parallel_first_views_create_one_progress(app, make_user, browser_for):
    learner = make_user(email="officer@example.org")
    browser = browser_for(learner)
    results = in_parallel([lambda: browser.request(f"{MODULE}/lessons/intro")] * 20)
    assert statuses(results) == {200: 20}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Progress)) == 1
        verbs = Counter(db.session.scalars(select(LearningEvent.verb)))
        assert verbs[Verb.INITIALIZED] == 1
        assert verbs[Verb.EXPERIENCED] == 1


def test_parallel_run_starts_all_succeed_with_distinct_numbers(app, make_user, browser_for):
    learner = make_user(email="officer@example.org")
    browser = browser_for(learner)
    assert browser.request(f"{MODULE}/scenarios/call")[0] == 200
    results = in_parallel([lambda: browser.request(f"{MODULE}/scenarios/call/runs", {})] * 20)
    assert statuses(results) == {303: 20}
    with app.app_context():
        numbers = sorted(db.session.scalars(select(ScenarioRun.number)))
        assert numbers == list(range(1, 21))
        assert db.session.scalar(select(func.count()).select_from(Progress)) == 1
