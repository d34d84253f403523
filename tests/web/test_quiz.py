"""The quiz pages over HTTP: start and resume, saving, bad input, one grading, results,
time limits, attempt limits and the trainers' essay review."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import sign_in
from tests.quiz_helpers import enrol, right_answer, sync_quiz
from trainer.extensions import db
from trainer.learning import attempts
from trainer.models import AttemptState, LearningEvent, Progress, QuizAttempt, Role, Verb

BASE = "/learn/example-module/quizzes/check"
JSON = {"Accept": "application/json"}
ESSAY = "explain-help"
NO_ESSAY = {"drop": [ESSAY], "draw": None}


@pytest.fixture
def setup(app, module_copy, make_user):
    """Sync the example quiz with the given settings; returns (app, learner, client)."""

    def configure(**settings):
        sync_quiz(app, module_copy, **settings)
        learner = make_user(locale="en", email="officer@example.org")
        client = app.test_client()
        sign_in(client, learner)
        return learner, client

    return configure


def start(client) -> int:
    response = client.post(f"{BASE}/start")
    assert response.status_code == 302, response.text
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def row(app, attempt_id: int) -> QuizAttempt:
    with app.test_request_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.answers  # noqa: B018  (load them before the context closes)
        db.session.expunge_all()
        return attempt


def saved(app, attempt_id: int) -> dict:
    with app.test_request_context():
        return attempts.answered(db.session.get(QuizAttempt, attempt_id))


def right_form(app, attempt_id: int, skip=()) -> dict:
    with app.test_request_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        form = {"shown": [q for q in attempt.question_ids if q not in skip]}
        for question in attempts.questions_of(attempt):
            if question.id not in skip:
                form.update(right_answer(question, attempt.layout(question.id)))
        return form


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def url(attempt_id: int, tail: str = "") -> str:
    return f"{BASE}/attempts/{attempt_id}{tail}"


def test_module_outline_links_to_the_quiz_page(app, setup):
    _learner, client = setup()
    assert f'href="{BASE}"' in client.get("/learn/example-module/").text
    html = client.get(BASE).text
    # the module's completion rule asks 80% of this quiz (its own pass_mark is 70): one mark shows
    assert "Knowledge check" in html and "Pass mark" in html and "<dd>80%</dd>" in html
    assert "3 attempts" in html and "20 minutes" in html and "shown once you pass" in html
    assert "Start the quiz" in html


def test_start_freezes_the_attempt_and_a_second_tab_gets_the_same_one(app, setup):
    _learner, client = setup()
    attempt_id = start(client)
    first = without_tokens(client.get(url(attempt_id)).text)
    assert start(client) == attempt_id  # Start pressed again, e.g. in a second tab
    assert without_tokens(client.get(url(attempt_id)).text) == first  # same questions, order
    assert "Resume attempt 1" in client.get(BASE).text


def test_the_question_page_carries_no_answers(app, setup):
    _learner, client = setup(draw=None)
    attempt_id = start(client)
    html = client.get(url(attempt_id)).text + client.get(url(attempt_id) + "?page=2").text
    assert "Question 8 of 8" in html
    for secret in [
        "correct",
        "Right. Without safety",  # option feedback
        "first task is to stop the violence",  # explanation
        "guardianship authority",  # accepted short answers
        "The answer names a crisis centre",  # essay rubric
        'value="battery"',  # a matching choice named after its pair
    ]:
        assert secret not in html, secret


def test_answers_are_saved_per_page_and_shown_again_after_a_reload(app, setup):
    _learner, client = setup(draw=None, shuffle_questions=False, shuffle_options=False)
    attempt_id = start(client)
    form = {"shown": ["first-priority", "what-to-record"], "page": "1", "go": "next"}
    form |= {"a.first-priority": "safety", "a.what-to-record": ["injuries", "scene"]}
    response = client.post(url(attempt_id), data=form)
    assert response.headers["Location"].endswith(url(attempt_id) + "?page=2")
    assert saved(app, attempt_id) == {
        "first-priority": "safety",
        "what-to-record": ["injuries", "scene"],
    }
    html = client.get(url(attempt_id)).text
    assert re.search(r'value="safety" checked', html)
    assert re.search(r'value="scene" checked', html) and not re.search(
        r'value="opinion" checked', html
    )
    assert "Answered 2 of 8 questions." in html
    check = client.get(url(attempt_id, "/review")).text
    assert "6 questions have no answer yet." in check
    assert f'href="{url(attempt_id)}?page=2#q-arrival-time"' in check
    # Resuming from the quiz page goes to the first page with an unanswered question.
    assert client.post(f"{BASE}/start").headers["Location"].endswith("?page=1")


def test_autosave_answers_json(app, setup):
    _learner, client = setup()
    attempt_id = start(client)
    response = client.post(
        url(attempt_id), data={"shown": "arrival-time", "a.arrival-time": "25,0"}, headers=JSON
    )
    assert response.status_code == 200
    saved_now = {"saved": ["arrival-time"], "errors": {}, "revisions": {"arrival-time": 1}}
    assert response.json == saved_now
    assert saved(app, attempt_id) == {"arrival-time": 25.0}


def test_a_stale_window_keeps_being_refused_until_it_reloads(app, setup):
    """Another window changed the answer after this one was opened: this window's change is
    refused, and so is its next save (the reply does not hand it the new revision, which quiz.js
    would adopt while the page still shows its own answer). Its other answers are saved."""
    _learner, client = setup()
    attempt_id = start(client)
    other = {"shown": "arrival-time", "a.arrival-time": "25", "revision-arrival-time": "0"}
    assert client.post(url(attempt_id), data=other, headers=JSON).status_code == 200
    revisions = {"revision-arrival-time": "0", "revision-first-priority": "0"}
    stale = {"shown": ["arrival-time", "first-priority"], "a.arrival-time": "40", **revisions}
    first = client.post(url(attempt_id), data={**stale, "a.first-priority": "safety"}, headers=JSON)
    assert first.status_code == 422
    assert "changed in another window" in first.json["errors"]["arrival-time"]
    assert first.json["revisions"] == {"first-priority": 1}  # none for the stale answer
    # The window's next autosave, with the revisions it adopted from the reply (as quiz.js
    # does), still cannot overwrite.
    revisions |= {f"revision-{k}": str(v) for k, v in first.json["revisions"].items()}
    again = {**stale, **revisions, "a.first-priority": "paperwork"}
    second = client.post(url(attempt_id), data=again, headers=JSON)
    assert second.status_code == 422 and "arrival-time" in second.json["errors"]
    assert saved(app, attempt_id) == {"arrival-time": 25.0, "first-priority": "paperwork"}


def test_an_answer_to_a_question_not_in_the_attempt_changes_nothing(app, setup):
    _learner, client = setup(draw=3)
    attempt_id = start(client)
    missing = next(
        q
        for q in ["first-priority", "what-to-record", "interview-together", "match-terms"]
        if q not in row(app, attempt_id).question_ids
    )
    data = {"shown": [missing], f"a.{missing}": "safety"}
    response = client.post(url(attempt_id), data=data, headers=JSON)
    assert response.status_code == 400
    assert response.json["error"] == "This question is not part of your attempt."
    page = client.post(url(attempt_id), data=data, follow_redirects=True)
    assert "This question is not part of your attempt." in page.text
    assert saved(app, attempt_id) == {}


def test_an_option_that_does_not_exist_is_refused(app, setup):
    _learner, client = setup()
    attempt_id = start(client)
    client.post(url(attempt_id), data={"shown": "first-priority", "a.first-priority": "safety"})
    bad = {"shown": ["first-priority", "interview-together"], "a.first-priority": "dance"}
    bad["a.interview-together"] = "false"
    bad["revision-first-priority"] = "1"  # the page showed the answer saved above
    response = client.post(url(attempt_id), data=bad)
    assert response.status_code == 200
    assert "This answer is not one of the options." in response.text
    assert saved(app, attempt_id) == {"first-priority": "safety", "interview-together": False}


def test_text_in_a_numeric_answer_gets_a_clear_message_and_is_kept_for_correcting(app, setup):
    _learner, client = setup()
    attempt_id = start(client)
    response = client.post(
        url(attempt_id), data={"shown": "arrival-time", "a.arrival-time": "twenty five"}
    )
    assert response.status_code == 200
    assert "Enter a number, for example 12.5." in response.text
    assert 'value="twenty five"' in response.text
    assert saved(app, attempt_id) == {}
    json = client.post(
        url(attempt_id), data={"shown": "arrival-time", "a.arrival-time": "abc"}, headers=JSON
    )
    assert json.status_code == 422 and "Enter a number" in json.json["errors"]["arrival-time"]


def test_submitting_twice_grades_once(app, setup):
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data=right_form(app, attempt_id))
    first = client.post(url(attempt_id, "/submit"))
    second = client.post(url(attempt_id, "/submit"), follow_redirects=True)  # a replayed POST
    assert first.headers["Location"].endswith(url(attempt_id, "/result"))
    assert "This attempt had already been submitted. It was graded once." in second.text
    with app.app_context():
        graded = db.session.scalars(select(QuizAttempt)).all()
        passes = db.session.scalars(
            select(LearningEvent).where(LearningEvent.verb == Verb.PASSED)
        ).all()
    assert [(a.state, a.percent) for a in graded] == [(AttemptState.GRADED, 100.0)]
    assert len(passes) == 1
    html = client.get(url(attempt_id, "/result")).text
    assert "Your score: 100%" in html and "You passed this quiz." in html


def test_concurrent_submits_grade_once(app, setup):
    """Eight submits at the same moment (clicks, tabs, replays): one grading, one event."""
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data=right_form(app, attempt_id))
    barrier = threading.Barrier(8)
    statuses = []

    def submit_now():
        barrier.wait()
        statuses.append(client.post(url(attempt_id, "/submit")).status_code)

    threads = [threading.Thread(target=submit_now) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * 8
    with app.app_context():
        verbs = db.session.scalars(select(LearningEvent.verb)).all()
    assert verbs.count(Verb.PASSED) == 1 and verbs.count(Verb.FAILED) == 0
    assert row(app, attempt_id).state == AttemptState.GRADED


def test_answers_after_submission_are_refused(app, setup):
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data={"shown": "arrival-time", "a.arrival-time": "10"})
    client.post(url(attempt_id, "/submit"))
    late = {"shown": "arrival-time", "a.arrival-time": "25"}
    response = client.post(url(attempt_id), data=late, headers=JSON)
    assert response.status_code == 409
    assert "answers can no longer change" in response.json["error"]
    page = client.post(url(attempt_id), data=late, follow_redirects=True)
    assert "answers can no longer change" in page.text and "Result of attempt 1" in page.text
    assert saved(app, attempt_id) == {"arrival-time": 10.0}
    assert client.get(url(attempt_id)).headers["Location"].endswith("/result")


def move_deadline(app, attempt_id: int, minutes: int) -> None:
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id)
            .values(deadline=attempt.started_at + timedelta(minutes=minutes))
        )
        db.session.commit()


def test_late_answers_are_refused_and_the_attempt_is_submitted(app, setup):
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data={"shown": "first-priority", "a.first-priority": "safety"})
    move_deadline(app, attempt_id, -5)  # the 20 minutes ran out
    late = {"shown": "arrival-time", "a.arrival-time": "25"}
    response = client.post(url(attempt_id), data=late, headers=JSON)
    assert response.status_code == 409 and "Time is up" in response.json["error"]
    attempt = row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.expired
    assert saved(app, attempt_id) == {"first-priority": "safety"}
    assert "The time limit ran out" in client.get(url(attempt_id, "/result")).text


def test_an_expired_attempt_is_submitted_when_its_quiz_page_is_opened(app, setup):
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    move_deadline(app, attempt_id, -1)
    html = client.get(BASE).text
    assert "Time is up. Your attempt was submitted" in html
    assert "Resume attempt" not in html and "Start a new attempt" in html
    assert row(app, attempt_id).state == AttemptState.GRADED


def test_another_users_attempt_is_forbidden(app, setup, make_user):
    _learner, client = setup()
    attempt_id = start(client)
    other = make_user(email="other@example.org")
    intruder = app.test_client()
    sign_in(intruder, other)
    for method, path in [
        ("GET", url(attempt_id)),
        ("POST", url(attempt_id)),
        ("GET", url(attempt_id, "/review")),
        ("POST", url(attempt_id, "/submit")),
        ("GET", url(attempt_id, "/result")),
    ]:
        data = {"shown": "first-priority", "a.first-priority": "safety"}
        assert intruder.open(path, method=method, data=data).status_code == 403, path
    assert row(app, attempt_id).state == AttemptState.OPEN
    assert saved(app, attempt_id) == {}
    assert client.get(url(attempt_id + 1000)).status_code == 404
    wrong_quiz = f"/learn/example-module/quizzes/other/attempts/{attempt_id}"
    assert client.get(wrong_quiz).status_code == 404
    assert client.get("/learn/example-module/quizzes/no-such-quiz").status_code == 404


def test_attempts_allowed_is_enforced(app, setup):
    _learner, client = setup(**NO_ESSAY, attempts=1)
    attempt_id = start(client)
    client.post(url(attempt_id, "/submit"))
    html = client.get(BASE).text
    assert "You have used all your attempts at this quiz." in html and "Start a new" not in html
    refused = client.post(f"{BASE}/start", follow_redirects=True)
    assert "You have used all your attempts at this quiz." in refused.text
    with app.app_context():
        assert len(db.session.scalars(select(QuizAttempt)).all()) == 1


@pytest.mark.parametrize(
    ("setting", "all_right", "shown"),
    [
        ("after_submit", False, True),
        ("after_pass", False, False),
        ("after_pass", True, True),
        ("never", True, False),
    ],
)
def test_show_answers_setting(app, setup, setting, all_right, shown):
    _learner, client = setup(**NO_ESSAY, show_answers=setting)
    attempt_id = start(client)
    if all_right:
        client.post(url(attempt_id), data=right_form(app, attempt_id))
    client.post(url(attempt_id, "/submit"))
    html = client.get(url(attempt_id, "/result")).text
    assert ("first task is to stop the violence" in html) is shown
    assert ('class="tag tag-right"' in html) is shown  # correct answers marked
    assert "Handbook on Effective Police Responses" in html if shown else True
    assert "Question 7" in html  # every question is listed with its points either way


def test_passing_feeds_the_completion_rule(app, setup):
    learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data=right_form(app, attempt_id))
    client.post(url(attempt_id, "/submit"))
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == learner.id))
    assert progress.state["quizzes"]["check"] == {"best": 100.0, "passed": True}
    assert progress.percent == 25  # one of four requirements


def submit_with_essay(app, client) -> int:
    attempt_id = start(client)
    client.post(url(attempt_id), data=right_form(app, attempt_id))
    client.post(url(attempt_id, "/submit"))
    return attempt_id


def test_an_essay_waits_for_review_and_the_learner_is_told(app, setup):
    _learner, client = setup(draw=None)
    attempt_id = submit_with_essay(app, client)
    assert row(app, attempt_id).state == AttemptState.AWAITING_REVIEW
    html = client.get(url(attempt_id, "/result")).text
    assert "A trainer will read and mark your written answers" in html
    assert "Points so far, from the other questions: 8 of 8." in html
    assert "Waiting for a trainer" in client.get(BASE).text


def test_trainer_sees_only_their_learners_and_grades_an_essay(app, setup, make_user):
    learner, client = setup(draw=None)
    attempt_id = submit_with_essay(app, client)
    other_learner = make_user(email="judge@example.org", name="Судья Волкова")
    other_client = app.test_client()
    sign_in(other_client, other_learner)
    other_attempt = submit_with_essay(app, other_client)

    trainer = make_user(role=Role.TRAINER, locale="en", name="Trainer Petrova")
    enrol(app, trainer.id, learner.id)
    trainer_client = app.test_client()
    sign_in(trainer_client, trainer)
    queue = trainer_client.get("/review/").text
    assert f"/review/attempts/{attempt_id}" in queue
    assert f"/review/attempts/{other_attempt}" not in queue and "Судья Волкова" not in queue
    assert trainer_client.get(f"/review/attempts/{other_attempt}").status_code == 403

    page = trainer_client.get(f"/review/attempts/{attempt_id}").text
    assert "The answer names a crisis centre and legal help" in page  # the rubric
    assert "I would name the crisis centre" in page  # the learner's answer
    bad = trainer_client.post(f"/review/attempts/{attempt_id}", data={f"score.{ESSAY}": "7"})
    assert bad.status_code == 200 and "Enter a score from 0 to 3." in bad.text
    assert row(app, attempt_id).state == AttemptState.AWAITING_REVIEW

    marks = {f"score.{ESSAY}": "2,5", f"comment.{ESSAY}": "Mention the legal aid office too."}
    done = trainer_client.post(f"/review/attempts/{attempt_id}", data=marks)
    assert done.status_code == 302
    graded = row(app, attempt_id)
    assert (graded.state, graded.score, graded.percent, graded.passed) == (
        AttemptState.GRADED,
        10.5,
        95.45,
        True,
    )
    again = trainer_client.post(f"/review/attempts/{attempt_id}", data=marks, follow_redirects=True)
    assert "This attempt has already been graded." in again.text
    assert f"/review/attempts/{attempt_id}" not in trainer_client.get("/review/").text

    result = client.get(url(attempt_id, "/result")).text
    assert "Mention the legal aid office too." in result and "Your score: 95%" in result


def test_review_pages_are_for_trainers_and_admins(app, setup, make_user):
    _learner, client = setup()
    assert client.get("/review/").status_code == 403
    admin = make_user(role=Role.ADMIN, locale="en")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    html = admin_client.get("/review/").text
    assert "No answers are waiting to be marked." in html
    assert 'href="/review/"' in html  # the nav link
    assert 'href="/review/"' not in client.get("/learn/").text
