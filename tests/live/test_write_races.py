"""The write paths of the quiz autosave and of the scenario choice, raced on a real server
(gunicorn, two workers of four threads), on SQLite and on PostgreSQL, as reviewers will race
them: two tabs of one learner, autosaves beside a submission, a double click on a first answer
or a choice, and hostile autosaves. No acknowledged answer is lost, nothing is written twice,
no request fails with a 500."""

import itertools
import json
import re
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.live.conftest import CSRF, Browser, gunicorn
from tests.live.test_faults import JSON, MODULE, QUIZ, SCENARIO, send
from tests.quiz_helpers import form_of, right_answer, sync_quiz
from trainer.extensions import db
from trainer.learning import attempts as service
from trainer.learning import grading
from trainer.learning.completion import percent_done
from trainer.learning.content import content_of
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

TEXT, NUMBER = "children-authority", "arrival-time"  # answers that can take any value
STALE = "changed in another window"
CLOSED = "answers can no longer change"
REVISION = re.compile(r'name="revision-([^"]+)" value="(-?\d+)"')
LOCATION = re.compile(r'href="([^"]+)"')


# A learner's attempt, and tabs on it -------------------------------------------------------------


@pytest.fixture
def serve_quiz(app, module_copy, make_user, tmp_path):
    """serve_quiz(**quiz settings): the example quiz (no essay: graded at submission) served by
    gunicorn; returns the base URL."""
    servers = []

    def serve(**settings):
        sync_quiz(app, module_copy, **{"drop": ["explain-help"], "draw": None, **settings})
        server = gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log")
        servers.append(server)
        return server.__enter__()

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


def learner_with_attempt(app, make_user, base: str, email: str) -> tuple[Browser, int]:
    """A learner signed in (pages in English) with an open attempt: (browser, attempt id)."""
    user = make_user(email=email, locale="en")
    browser = Browser(base)
    browser.sign_in(user.email)
    assert browser.request(QUIZ)[0] == 200
    status, page = browser.request(f"{QUIZ}/start", {})
    assert status == 302, page
    with app.app_context():
        attempt_id = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.user_id == user.id))
    return browser, attempt_id


def attempt_url(attempt_id: int, tail: str = "") -> str:
    return f"{QUIZ}/attempts/{attempt_id}{tail}"


class Tab:
    """One tab on the attempt's page, keeping its revisions as quiz.js does: from the page when
    it is loaded, then from each save's reply (remember(): only the revisions the reply names)."""

    def __init__(self, browser: Browser, attempt_id: int):
        self.browser, self.url = browser, attempt_url(attempt_id)
        self.revisions: dict[str, int] = {}
        self.reload()

    def reload(self) -> None:
        for page in (1, 2):  # five questions a page
            status, html = self.browser.request(f"{self.url}?page={page}")
            assert status == 200, html[:500]
            self.revisions.update({qid: int(rev) for qid, rev in REVISION.findall(html)})

    def save(self, question_id: str, fields: dict) -> tuple[int, dict]:
        revision = self.revisions.get(question_id, 0)
        data = {"shown": question_id, f"revision-{question_id}": str(revision), **fields}
        status, page = send(self.browser, self.url, data, JSON)
        assert status < 500, page[:500]
        body = json.loads(page)
        self.revisions.update(body.get("revisions", {}))
        return status, body


def right_fields(app, attempt_id: int) -> dict[str, tuple[dict, object]]:
    """Question id -> (form fields of its right answer, the response they store)."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        answers = {}
        for question in service.questions_of(attempt):
            layout = attempt.layout(question.id)
            fields = right_answer(question, layout)
            parsed = grading.type_of(question).parse(question, layout, form_of(fields))
            answers[question.id] = (fields, parsed)
        return answers


def typed(question_id: str, value) -> dict:
    return {grading.field_name(question_id): str(value)}


def stored(app, attempt_id: int) -> dict[str, tuple[int, object]]:
    """Question id -> (revision, response) as the database holds them."""
    with app.app_context():
        rows = db.session.execute(
            select(QuizAnswer.question_id, QuizAnswer.revision, QuizAnswer.response).where(
                QuizAnswer.attempt_id == attempt_id
            )
        )
        return {qid: (revision, response) for qid, revision, response in rows}


def events(app, verb: Verb, attempt_id: int | None = None, prefix: str = "") -> Counter:
    """Object id -> how many `verb` events name it (of the attempt's learner, if given)."""
    query = select(LearningEvent.object_id).where(
        LearningEvent.verb == verb, LearningEvent.object_id.startswith(prefix)
    )
    with app.app_context():
        if attempt_id is not None:
            user_id = db.session.get(QuizAttempt, attempt_id).user_id
            query = query.where(LearningEvent.user_id == user_id)
        return Counter(db.session.scalars(query))


def in_parallel(calls, workers: int = 16) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


# 1. One learner, several tabs -------------------------------------------------------------------

TABS, ROUNDS = 4, 5


def test_tabs_saving_at_once_lose_no_acknowledged_answer(app, make_user, serve_quiz):
    """Four tabs save the same two questions with their own values, and each its own other
    question, reloading now and then: every acknowledged change got a revision of its own (none
    was overwritten unseen), the last one is stored, a stale tab is told so."""
    base = serve_quiz()
    browser, attempt_id = learner_with_attempt(app, make_user, base, "tabs@example.org")
    right = right_fields(app, attempt_id)
    own = [qid for qid in right if qid not in (TEXT, NUMBER)][:TABS]
    acks, lock = [], threading.Lock()  # (question, revision, response) answered 200

    def tab_at_work(n: int) -> Counter:
        tab, refused = Tab(browser, attempt_id), Counter()
        for round_ in range(ROUNDS):
            saves = [
                (TEXT, typed(TEXT, f"tab {n} round {round_}"), f"tab {n} round {round_}"),
                (NUMBER, typed(NUMBER, 100 * n + round_), float(100 * n + round_)),
                (own[n], *right[own[n]]),
            ]
            for question_id, fields, response in saves:
                status, body = tab.save(question_id, fields)
                if status == 200:
                    assert body["saved"] == [question_id], body
                    with lock:
                        acks.append((question_id, body["revisions"][question_id], response))
                else:  # another tab changed it since this one loaded it: told, then reloads
                    assert status == 422 and STALE in body["errors"][question_id], body
                    refused[question_id] += 1
                    tab.reload()
            if round_ % 2:
                tab.reload()
        return refused

    refused = sum(in_parallel([lambda n=n: tab_at_work(n) for n in range(TABS)]), Counter())

    by_revision = defaultdict(set)
    for question_id, revision, response in acks:
        by_revision[question_id, revision].add(json.dumps(response))
    # Two tabs told "saved" at one revision with different answers: one was lost unseen.
    assert all(len(responses) == 1 for responses in by_revision.values()), by_revision
    now = stored(app, attempt_id)
    for question_id in {ack[0] for ack in acks}:
        last = max(rev for qid, rev, _response in acks if qid == question_id)
        [response] = by_revision[question_id, last]
        assert now[question_id] == (last, json.loads(response)), question_id
    assert set(now) == {TEXT, NUMBER, *own}
    assert set(refused) <= {TEXT, NUMBER}  # a tab's own question is never refused
    answered = events(app, Verb.ANSWERED, attempt_id)
    assert sorted(answered.values()) == [1] * len(now)  # one per question, not per save
    print(f"\n{len(acks)} saves acknowledged, refused as stale: {dict(refused)}")

    a_cleared_answer_typed_again_is_kept_and_a_stale_tab_cannot_overwrite_it(app, make_user, base)


def a_cleared_answer_typed_again_is_kept_and_a_stale_tab_cannot_overwrite_it(app, make_user, base):
    """Tab 2 clears an answer and types another (two autosaves); tab 1 still shows the first
    answer. Tab 2's new answer is no conflict with itself; tab 1's change is refused. (Deleted
    when cleared, the answer came back at revision 1: tab 2 was refused, tab 1 overwrote it.)"""
    browser, attempt_id = learner_with_attempt(app, make_user, base, "clear@example.org")
    first = Tab(browser, attempt_id)
    assert first.save(TEXT, typed(TEXT, "police"))[0] == 200
    second = Tab(browser, attempt_id)

    assert second.save(TEXT, typed(TEXT, ""))[0] == 200
    status, body = second.save(TEXT, typed(TEXT, "guardianship authority"))
    assert status == 200, body
    status, body = first.save(TEXT, typed(TEXT, "court"))

    assert status == 422 and STALE in body["errors"][TEXT], body
    assert stored(app, attempt_id)[TEXT][1] == "guardianship authority"
    first.reload()  # now it shows the stored answer, and may change it
    assert first.save(TEXT, typed(TEXT, "court"))[0] == 200
    assert stored(app, attempt_id)[TEXT][1] == "court"
    assert events(app, Verb.ANSWERED, attempt_id) == {f"example-module/quiz/check/{TEXT}": 1}


# 2. Autosaves racing the submission -------------------------------------------------------------


def test_saves_racing_the_submission_are_graded_or_refused(app, make_user, serve_quiz):
    """A tab per question saves it again and again while the attempt is submitted twice (a
    double click): graded once; every save answered 200 is in the grade, every later one is
    refused (409) and not stored."""
    base = serve_quiz()
    browser, attempt_id = learner_with_attempt(app, make_user, base, "race@example.org")
    right = right_fields(app, attempt_id)
    started = threading.Barrier(len(right) + 1)
    submitted_at = []  # when the first submit's reply came

    def keep_saving(question_id: str) -> list[tuple[float, int, object]]:
        tab, seen = Tab(browser, attempt_id), []
        started.wait()
        give_up = time.monotonic() + 30
        for n in itertools.count():  # until refused: the submission comes 0.3 s in
            assert time.monotonic() < give_up, "the submission never closed the attempt"
            fields, response = right[question_id]
            if question_id in (TEXT, NUMBER) and n % 2:  # changing its value
                response = f"draft {n}" if question_id == TEXT else float(n)
                fields = typed(question_id, response)
            sent = time.monotonic()
            status, body = tab.save(question_id, fields)
            seen.append((sent, status, response))
            if status == 409:
                assert CLOSED in body["error"] and body["location"].endswith("/result"), body
                break
            assert status == 200 and body["saved"] == [question_id], body
        return seen

    def submit_twice() -> list[int]:
        started.wait()
        time.sleep(0.3)
        answers = in_parallel([lambda: browser.request(attempt_url(attempt_id, "/submit"), {})] * 2)
        submitted_at.append(time.monotonic())
        return [status for status, _page in answers]

    with ThreadPoolExecutor(max_workers=len(right) + 1) as pool:
        submitting = pool.submit(submit_twice)
        saving = {qid: pool.submit(keep_saving, qid) for qid in right}
        assert submitting.result() == [302, 302]
        saves = {qid: future.result() for qid, future in saving.items()}
    sent = Counter(status for seen in saves.values() for _sent, status, _response in seen)
    print(f"\nsaves beside the submission: {dict(sent)}")

    now = stored(app, attempt_id)
    for question_id, seen in saves.items():
        statuses = [status for _sent, status, _response in seen]
        assert statuses[-1] == 409 and 409 not in statuses[:-1], (question_id, statuses)
        # Sent after the submission was answered: refused.
        assert all(s == 409 for sent, s, _r in seen if sent > submitted_at[0]), question_id
        acknowledged = [response for _sent, status, response in seen if status == 200]
        if acknowledged:
            assert now[question_id][1] == acknowledged[-1], question_id
        else:
            assert question_id not in now
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == AttemptState.GRADED
        outcomes = service.outcomes_of(attempt)  # graded from what is stored
        assert attempt.score == sum(outcome.points for outcome in outcomes.values())
        assert all(a.points is not None for a in attempt.answers)
    verbs = events(app, Verb.PASSED, attempt_id) + events(app, Verb.FAILED, attempt_id)
    assert verbs == {"example-module/quiz/check": 1}  # graded once

    an_expired_attempt_raced_by_saves_and_pages_is_graded_once(app, make_user, base)


def an_expired_attempt_raced_by_saves_and_pages_is_graded_once(app, make_user, base):
    """Past its time limit, an attempt is submitted by whichever request touches it first:
    saves of two tabs and page loads at once grade it once, with the answer saved in time."""
    browser, attempt_id = learner_with_attempt(app, make_user, base, "late@example.org")
    right = right_fields(app, attempt_id)
    tab = Tab(browser, attempt_id)
    assert tab.save(NUMBER, typed(NUMBER, 25))[0] == 200
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.deadline = attempt.started_at - timedelta(minutes=1)
        db.session.commit()

    saves = [lambda qid=qid: tab.save(qid, right[qid][0]) for qid in right] * 2
    pages = [lambda tail=tail: browser.request(attempt_url(attempt_id, tail)) for tail in
             ("", "/review", "/result", "?page=2")]  # fmt: skip
    replies = in_parallel(saves + pages)

    for status, body in replies[: len(saves)]:
        assert status == 409 and body["location"].endswith("/result"), body
        assert "Time is up" in body["error"] or CLOSED in body["error"], body
    assert {status for status, _page in replies[len(saves) :]} <= {200, 302}
    assert {qid: response for qid, (_rev, response) in stored(app, attempt_id).items()} == {
        NUMBER: 25.0
    }
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert (attempt.state, attempt.expired) == (AttemptState.GRADED, True)
    verbs = events(app, Verb.PASSED, attempt_id) + events(app, Verb.FAILED, attempt_id)
    assert verbs == {"example-module/quiz/check": 1}


# 3. The first answer sent twice at once ---------------------------------------------------------

CLICKS = 5


def test_a_first_answer_sent_several_times_at_once_is_one_row_and_one_event(
    app, make_user, serve_quiz
):
    """Every question's first answer sent five times at once (a double click, a retry): each
    is answered 200 with revision 1; one row and one "answered" event per question. Five
    different first answers at once: one is stored, the others are told it changed."""
    browser, attempt_id = learner_with_attempt(app, make_user, serve_quiz(), "twice@example.org")
    right = right_fields(app, attempt_id)
    first = {qid: answer for qid, answer in right.items() if qid != NUMBER}
    url = attempt_url(attempt_id)

    def save(question_id, fields):
        data = {"shown": question_id, f"revision-{question_id}": "0", **fields}
        status, page = send(browser, url, data, JSON)
        return question_id, status, json.loads(page) if status < 500 else page

    calls = [
        lambda qid=qid, fields=fields: save(qid, fields)
        for qid, (fields, _response) in first.items()
        for _click in range(CLICKS)
    ]
    calls += [lambda n=n: save(NUMBER, typed(NUMBER, n)) for n in range(CLICKS)]
    replies = in_parallel(calls)

    for question_id, status, body in replies:
        if question_id != NUMBER:
            assert (status, body["revisions"][question_id]) == (200, 1), body
    number = [(status, body) for qid, status, body in replies if qid == NUMBER]
    assert Counter(status for status, _body in number) == {200: 1, 422: CLICKS - 1}, number
    [winner] = [body for status, body in number if status == 200]
    assert all(STALE in body["errors"][NUMBER] for status, body in number if status == 422)
    now = stored(app, attempt_id)
    assert {qid: response for qid, (_rev, response) in now.items()} == {
        **{qid: response for qid, (_fields, response) in first.items()},
        NUMBER: now[NUMBER][1],
    }
    assert winner["revisions"][NUMBER] == now[NUMBER][0] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == len(right)
    assert sorted(events(app, Verb.ANSWERED, attempt_id).values()) == [1] * len(right)


# 4. Scenario choices ----------------------------------------------------------------------------

# Per step: what two tabs send, each four times at once (double clicks).
SCRIPT = [
    ({}, {}),
    ({"choice": "separate"}, {"choice": "leave"}),
    ({"choice": "document"}, {"choice": "advise-only"}),
    ({"f-risk": "high", "f-visits": "2"}, {"f-risk": "low", "f-visits": "5"}),
]


def start_run(browser: Browser) -> str:
    status, page = browser.request(f"{SCENARIO}/runs", {})
    assert status == 303, page
    return LOCATION.search(page).group(1)


def test_scenario_double_clicks_and_two_tabs_advance_each_run_once(
    app, make_user, server, browser_for
):
    """Two runs of one learner played at once, each step sent by two tabs with different
    options, four times each: each run takes one act per step, one event per act, and the
    learner's progress holds each finished run's score once."""
    browser = browser_for(make_user(email="runs@example.org", locale="en"))
    assert browser.request(SCENARIO)[0] == 200
    runs = [start_run(browser), start_run(browser)]
    refuse_hostile_choices(app, browser, browser_for(make_user(email="eve@example.org")), runs[0])
    statuses = Counter()
    for step, (one, other) in enumerate(SCRIPT):
        calls = [
            lambda run=run, data=data, step=step: browser.request(run, {"step": step, **data})
            for run in runs
            for data in (one, other) * 4
        ]
        reloads = [lambda run=run: browser.request(run) for run in runs] * 2
        replies = in_parallel(calls + reloads)
        statuses.update(status for status, _page in replies[: len(calls)])
        assert {status for status, _page in replies[len(calls) :]} <= {200, 302}
    assert statuses == {303: 8 * len(SCRIPT) * len(runs)}

    with app.app_context():
        played = db.session.scalars(select(ScenarioRun).order_by(ScenarioRun.number)).all()
        chose = Counter(
            (event.result["run"], event.object_id.rsplit("/", 1)[1])
            for event in db.session.scalars(
                select(LearningEvent).where(LearningEvent.verb == Verb.CHOSE)
            )
        )
        progress = db.session.scalar(select(Progress))
        meta = content_of(progress.version).meta
        assert progress.percent == percent_done(meta, progress.state)
    assert [run.status for run in played] == [RunStatus.FINISHED] * 2
    for run in played:
        assert run.steps == len(run.path) <= len(SCRIPT)
        acts = [step["node"] for step in run.path if step["kind"] != "narrative"]
        assert {node: chose[run.number, node] for node in acts} == dict.fromkeys(acts, 1)
    assert sum(chose.values()) == sum(
        sum(step["kind"] != "narrative" for step in run.path) for run in played
    )
    assert progress.state["scenarios"]["call"] == {"best": max(run.percent for run in played)}
    completed = events(app, Verb.COMPLETED, prefix="example-module/scenario/")
    assert completed == {"example-module/scenario/call": 2}


def refuse_hostile_choices(app, browser: Browser, stranger: Browser, run: str) -> None:
    """Tampered choices get a 4xx and change nothing; so does another learner's."""
    for data, status in [
        ({"step": "9" * 30}, 400),
        ({"step": "-1"}, 400),
        ({"step": "0", "choice": "no-such\x00"}, 400),
        ({"step": "1", "choice": "no-such"}, 303),  # a later step: the page is stale
    ]:
        assert browser.request(run, data)[0] == status, data
    assert stranger.request(run, {"step": "0"})[0] == 403
    assert stranger.request(run)[0] == 403
    with app.app_context():
        assert db.session.scalar(select(func.max(ScenarioRun.steps))) == 0
    assert events(app, Verb.CHOSE) == {}


# 5. Hostile autosaves ---------------------------------------------------------------------------

FREE_TEXT = ("short_text", "essay", "numeric")


def test_hostile_autosaves_get_a_clear_refusal_and_store_nothing(app, make_user, serve_quiz):
    """Unknown questions, one not drawn for this attempt, NUL bytes, huge numbers, another
    learner's attempt, a forged token, a submitted attempt: each a 4xx with its message (a
    stale revision a 422), and not one answer stored for either learner."""
    base = serve_quiz(draw=3)
    browser, attempt_id = learner_with_attempt(app, make_user, base, "mallory@example.org")
    other, other_id = learner_with_attempt(app, make_user, base, "victim@example.org")
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        mine = attempt.question_ids
        # Questions whose fields name options or positions: a huge number is none of them.
        picked = [q.id for q in service.questions_of(attempt) if q.type not in FREE_TEXT]
    missing = next(q for q in ("first-priority", "what-to-record", TEXT, NUMBER) if q not in mine)
    rights = right_fields(app, attempt_id)
    asked = mine[0]
    answer = rights[asked][0]
    url = attempt_url(attempt_id)

    def refused(path, data, status, words=None, headers=JSON):
        got, page = send(browser, path, data, headers)
        assert got == status, (data, got, page[:500])
        assert words is None or words in page, (data, page[:500])

    refused(url, {"shown": "no-such-question", "a.no-such-question": "x"}, 400, "not part of")
    refused(url, {"shown": missing, **typed(missing, "1")}, 400, "not part of your attempt")
    refused(url, {"shown": [asked, "no-such-question"], **answer}, 400, "not part of")
    refused(url, {"shown": asked + "\x00", **answer}, 400, "control characters")
    refused(url, {"shown": asked, grading.field_name(asked): "a\x00b"}, 400, "control characters")
    refused(url, {"shown": asked, "revision-" + asked: "9" * 40, **answer}, 422, STALE)
    for huge in (str(2**31), "9" * 30):  # no such attempt, whatever the method
        refused(attempt_url(huge), {"shown": asked}, 404)
        assert browser.request(attempt_url(huge))[0] == 404
    refused(attempt_url(other_id), {"shown": asked, **answer}, 403)
    refused(f"{MODULE}/quizzes/other/attempts/{attempt_id}", {"shown": asked}, 404)
    refused(url, {"shown": asked, "page": "9" * 30, "go": "page-" + "9" * 30}, 302, headers={})
    for question_id in picked:
        huge = {name: "9" * 30 for name in rights[question_id][0]}
        refused(url, {"shown": question_id, **huge}, 422)
    if NUMBER in mine:
        for value in ("1e999", "9" * 50, "nan"):
            refused(url, {"shown": NUMBER, **typed(NUMBER, value)}, 422, "Enter a number")
    browser.token, token = "forged", browser.token
    refused(url, {"shown": asked, **answer}, 400)
    browser.token = token
    assert stored(app, attempt_id) == {} and stored(app, other_id) == {}

    status, _page = browser.request(attempt_url(attempt_id, "/submit"), {})
    assert status == 302
    refused(url, {"shown": asked, **answer}, 409, CLOSED)
    refused(url, {"shown": asked, **answer}, 302, headers={})  # to the result
    status, page = other.request(attempt_url(other_id))
    assert status == 200 and CSRF.search(page)  # the other learner's attempt is still open
    assert stored(app, attempt_id) == {} and stored(app, other_id) == {}
    assert events(app, Verb.ANSWERED, attempt_id) == events(app, Verb.ANSWERED, other_id) == {}
