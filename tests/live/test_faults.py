"""Faults on a real server (gunicorn, two workers of four threads), on SQLite and PostgreSQL.

A worker is killed (SIGKILL) in the middle of a burst of quiz answer saves and submissions:
gunicorn starts another, every save the server acknowledged is stored with its value, and every
attempt is graded exactly once, including those whose request was lost and sent again. And
many writers at once (autosaves, lessons done, scenario choices) never see an error, nor
SQLite's "database is locked".
"""

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import sync_example
from tests.live.conftest import Browser, gunicorn
from tests.quiz_helpers import form_of, right_answer, sync_quiz
from tests.web.test_scenarios import GOOD_RUN
from trainer.extensions import db
from trainer.learning import attempts as service
from trainer.learning import grading
from trainer.models import (
    AttemptState,
    LearningEvent,
    Progress,
    QuizAnswer,
    QuizAttempt,
    RunStatus,
    ScenarioRun,
    Verb,
)

MODULE = "/learn/example-module"
QUIZ = f"{MODULE}/quizzes/check"
SCENARIO = f"{MODULE}/scenarios/call"
LESSONS = ("intro", "after-the-call")
ESSAY = "explain-help"  # graded by a trainer: left out, so that a submission is graded at once
JSON = {"Accept": "application/json"}
# What a client sees when the worker holding its connection dies.
LOST = (OSError, http.client.HTTPException)
TRIES = 6


# A client that sends a lost request again ------------------------------------------------------


@dataclass
class Tally:
    """What the learners' clients saw, across threads."""

    acknowledged: int = 0  # saves answered 200: stored
    acknowledged_again: int = 0  # of those, answered only when sent again after a lost reply
    lost: int = 0  # requests that got no answer (connection reset or closed)
    retried: int = 0  # of those, sent again
    statuses: Counter = field(default_factory=Counter)
    killed_after: int | None = None  # saves acknowledged when the worker was killed
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)
    threshold: int = 0

    def count(self, **changes) -> None:
        with self.lock:
            for name, change in changes.items():
                setattr(self, name, getattr(self, name) + change)
            if self.acknowledged >= self.threshold:
                self.enough.set()


def send(browser: Browser, path: str, data: dict, headers=None) -> tuple[int, str]:
    """One POST; raises what a lost connection raises (unlike Browser.request)."""
    body = urllib.parse.urlencode({"csrf_token": browser.token, **data}, doseq=True).encode()
    request = urllib.request.Request(browser.base + path, body, headers or {})  # noqa: S310
    try:
        with browser.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def send_until_answered(browser, path, data, tally: Tally, headers=None) -> tuple[int, str, int]:
    """Send again after a lost connection, a few times, as a person does: (status, page, the
    number of tries). The same answers, with the revisions the page had."""
    for attempt in range(1, TRIES + 1):
        try:
            status, page = send(browser, path, data, headers)
        except LOST:
            tally.count(lost=1)
            if attempt == TRIES:
                raise
            tally.count(retried=1)
            time.sleep(0.2 * attempt)
            continue
        with tally.lock:
            tally.statuses[status] += 1
        return status, page, attempt
    raise AssertionError("unreachable")


# The server's processes -------------------------------------------------------------------------


def children_of(pid: int) -> set[int]:
    """The process ids whose parent is `pid` (gunicorn's master: its workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def wait_for_workers(master: int, count: int, without: int | None = None) -> set[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = children_of(master)
        if len(workers) == count and without not in workers:
            return workers
        time.sleep(0.2)
    pytest.fail(f"gunicorn has {children_of(master)} as workers, not {count} new ones")


@pytest.fixture
def quiz_server(app, module_copy, tmp_path):
    """The example module with an automatically graded quiz, served by gunicorn: (base URL,
    master's pid)."""
    sync_quiz(app, module_copy, drop=[ESSAY])
    pid_file = tmp_path / "gunicorn.pid"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    log = tmp_path / "gunicorn.log"
    with gunicorn(url, log, GUNICORN_CMD_ARGS=f"--pid {pid_file}") as base:
        yield base, int(pid_file.read_text())
    print(log.read_text()[-3000:])  # what gunicorn said about the worker it lost, for the record


# Learners with an open attempt ------------------------------------------------------------------


@dataclass
class Learner:
    browser: Browser
    attempt_id: int
    saves: dict  # question id -> the form fields of its answer
    expected: dict  # question id -> the response those fields store

    @property
    def url(self) -> str:
        return f"{QUIZ}/attempts/{self.attempt_id}"


def learners_with_attempts(app, make_user, base: str, count: int) -> list[Learner]:
    people = []
    for n in range(count):
        user = make_user(email=f"officer{n}@example.org")
        browser = Browser(base)
        browser.sign_in(user.email)
        assert browser.request(QUIZ)[0] == 200
        assert browser.request(f"{QUIZ}/start", {})[0] == 302
        people.append((user, browser))
    with app.app_context():
        return [attempt_of(user.id, browser) for user, browser in people]


def attempt_of(user_id: int, browser: Browser) -> Learner:
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == user_id))
    saves, expected = {}, {}
    for question in service.questions_of(attempt):
        layout = attempt.layout(question.id)
        fields = right_answer(question, layout)
        saves[question.id] = {"shown": question.id, f"revision-{question.id}": "0", **fields}
        expected[question.id] = grading.type_of(question).parse(question, layout, form_of(fields))
    return Learner(browser, attempt.id, saves, expected)


def save_and_submit(learner: Learner, tally: Tally) -> None:
    """Each answer saved once (autosave, JSON), then the attempt submitted."""
    for question_id, data in learner.saves.items():
        status, page, tries = send_until_answered(learner.browser, learner.url, data, tally, JSON)
        # Sent again after a lost reply, an answer stored the first time is no conflict.
        assert status == 200 and json.loads(page)["saved"] == [question_id], page
        tally.count(acknowledged=1, acknowledged_again=int(tries > 1))
    status, page, _tries = send_until_answered(learner.browser, f"{learner.url}/submit", {}, tally)
    assert status == 302, page


# Tests ------------------------------------------------------------------------------------------


LEARNERS = 12


def test_a_worker_killed_during_a_burst_loses_no_answer_and_grades_once(
    app, make_user, quiz_server
):
    base, master = quiz_server
    learners = learners_with_attempts(app, make_user, base, LEARNERS)
    saves = sum(len(learner.saves) for learner in learners)
    workers = wait_for_workers(master, 2)
    tally = Tally(threshold=saves // 4)
    victim = max(workers)  # either worker will do: both serve the burst

    def kill_when_busy():
        if tally.enough.wait(120):
            with tally.lock:
                tally.killed_after = tally.acknowledged
            os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    with ThreadPoolExecutor(max_workers=LEARNERS) as pool:
        list(pool.map(lambda learner: save_and_submit(learner, tally), learners))
    killer.join()

    print(
        f"\nworker killed after {tally.killed_after} of {saves} saves; {tally.acknowledged} "
        f"acknowledged, {tally.acknowledged_again} of them when sent again; {tally.lost} "
        f"requests lost, {tally.retried} sent again; statuses {dict(tally.statuses)}"
    )
    assert tally.killed_after is not None and tally.killed_after < saves  # during the burst
    assert victim not in wait_for_workers(master, 2, without=victim)  # a new worker serves
    assert tally.acknowledged == saves
    with app.app_context():
        for learner in learners:
            assert_stored_and_graded_once(learner)


def assert_stored_and_graded_once(learner: Learner) -> None:
    attempt = db.session.get(QuizAttempt, learner.attempt_id)
    stored = dict(
        db.session.execute(
            select(QuizAnswer.question_id, QuizAnswer.response).where(
                QuizAnswer.attempt_id == attempt.id
            )
        ).all()
    )
    assert stored == learner.expected  # every save, with its value
    assert attempt.state == AttemptState.GRADED and attempt.percent == 100 and attempt.passed
    user_attempts = select(func.count()).where(QuizAttempt.user_id == attempt.user_id)
    assert db.session.scalar(user_attempts) == 1
    results = db.session.scalars(
        select(LearningEvent.verb).where(
            LearningEvent.user_id == attempt.user_id,
            LearningEvent.object_id == "example-module/quiz/check",
        )
    ).all()
    assert sorted(results) == sorted([Verb.ATTEMPTED, Verb.PASSED]), results  # graded once
    answered = select(func.count()).where(
        LearningEvent.user_id == attempt.user_id, LearningEvent.verb == Verb.ANSWERED
    )
    assert db.session.scalar(answered) == len(learner.expected)  # one per question, not per try


WRITERS = 10


def test_many_writers_at_once_never_see_an_error_or_a_lock(app, make_user, tmp_path):
    """Autosaves of every question, lessons marked done and scenario choices, all at once from
    two worker processes: SQLite's single writer queues them, none is refused."""
    sync_example(app)
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log") as base:
        learners = learners_with_attempts(app, make_user, base, WRITERS)
        runs = [prepare_run(learner.browser) for learner in learners]
        calls = [
            partial(send, learner.browser, learner.url, data, JSON)
            for learner in learners
            for data in learner.saves.values()
        ]
        calls += [
            partial(send, learner.browser, f"{MODULE}/lessons/{lesson}/done", {})
            for learner in learners
            for lesson in LESSONS
        ]
        calls += [partial(play, b.browser, run) for b, run in zip(learners, runs, strict=True)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda call: call(), calls))

    problems = [(s, p[:300]) for s, p in results if s >= 500 or "database is locked" in p]
    assert problems == []
    saves = sum(len(learner.saves) for learner in learners)
    assert Counter(s for s, _p in results) == {200: saves, 302: 2 * WRITERS, 303: WRITERS}
    with app.app_context():
        for learner in learners:
            assert_all_written(learner)


def prepare_run(browser: Browser) -> str:
    """The lessons and the scenario shown, a run started: its URL, to play during the burst."""
    for lesson in LESSONS:
        assert browser.request(f"{MODULE}/lessons/{lesson}")[0] == 200
    assert browser.request(SCENARIO)[0] == 200
    request = urllib.request.Request(  # noqa: S310  (our server)
        browser.base + f"{SCENARIO}/runs",
        urllib.parse.urlencode({"csrf_token": browser.token}).encode(),
    )
    try:
        browser.opener.open(request, timeout=60)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
        return urllib.parse.urlsplit(redirect.headers["Location"]).path
    raise AssertionError("starting a run did not redirect to it")


def play(browser: Browser, run: str) -> tuple[int, str]:
    """The run played to an ending, one act after another: the last answer."""
    for step, data in enumerate(GOOD_RUN):
        status, page = send(browser, run, {"step": step, **data})
        if status != 303:
            return status, page
    return status, page


def assert_all_written(learner: Learner) -> None:
    attempt = db.session.get(QuizAttempt, learner.attempt_id)
    stored = dict(
        db.session.execute(
            select(QuizAnswer.question_id, QuizAnswer.response).where(
                QuizAnswer.attempt_id == attempt.id
            )
        ).all()
    )
    assert stored == learner.expected
    progress = db.session.scalar(select(Progress).where(Progress.user_id == attempt.user_id))
    assert sorted(progress.state["lessons"]) == sorted(LESSONS)
    run = db.session.scalar(select(ScenarioRun).where(ScenarioRun.user_id == attempt.user_id))
    assert run.status == RunStatus.FINISHED and len(run.path) == len(GOOD_RUN)
