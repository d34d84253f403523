"""Attempts as plain functions over the database: frozen draws, saved answers, one grading,
time limits, attempt limits and essay review. No HTTP."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tests.quiz_helpers import form_of, right_answer, save, sync_quiz
from trainer.extensions import db
from trainer.learning import attempts
from trainer.learning import progress as tracking
from trainer.models import (
    AttemptState,
    LearningEvent,
    Module,
    Progress,
    QuizAnswer,
    QuizAttempt,
    Role,
    User,
    Verb,
)
from trainer.models.types import utcnow

NO_ESSAY = {"drop": ["explain-help"], "draw": None}


@pytest.fixture
def quiz_app(app, module_copy):
    """The example module; tests change the quiz settings through `configure`."""

    def configure(**settings):
        sync_quiz(app, module_copy, **settings)
        return app

    return configure


@pytest.fixture
def learner_id(make_user):
    return make_user(email="officer@example.org").id


def load(learner_id):
    user = db.session.get(User, learner_id)
    module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
    return user, module


def answer_all(attempt, skip=()):
    fields = {}
    for question in attempts.questions_of(attempt):
        if question.id not in skip:
            fields.update(right_answer(question, attempt.layout(question.id)))
    return form_of(fields)


def verbs(user_id) -> list[Verb]:
    return db.session.scalars(
        select(LearningEvent.verb)
        .where(LearningEvent.user_id == user_id)
        .order_by(LearningEvent.id)
    ).all()


def test_start_freezes_the_draw_and_a_second_start_resumes_it(quiz_app, learner_id):
    app = quiz_app(draw=5, shuffle_questions=True, shuffle_options=True)
    with app.test_request_context():
        user, module = load(learner_id)
        now = utcnow()
        first = attempts.start(user, module, "check", now)
        db.session.commit()
        again = attempts.start(user, module, "check", now + timedelta(minutes=1))
        assert again.id == first.id and again.questions == first.questions
        assert len(first.question_ids) == 5 and first.number == 1
        for question in attempts.questions_of(first):
            layout = first.layout(question.id)
            if question.type in ("single_choice", "multiple_choice"):
                assert sorted(layout) == sorted(o.id for o in question.options)
        assert first.deadline == now + timedelta(minutes=20)
        assert verbs(learner_id) == [Verb.INITIALIZED, Verb.ATTEMPTED]


def test_fixed_order_is_the_same_for_every_learner(quiz_app, make_user):
    app = quiz_app(draw=None, shuffle_questions=False, shuffle_options=False)
    ids = [make_user().id, make_user().id]
    with app.test_request_context():
        drawn = []
        for user_id in ids:
            user, module = load(user_id)
            drawn.append(attempts.start(user, module, "check", utcnow()).questions)
        assert drawn[0] == drawn[1]
        assert drawn[0][0] == {
            "id": "first-priority",
            "order": ["safety", "reconcile", "paperwork"],
        }
        ordering = next(q for q in drawn[0] if q["id"] == "order-steps")
        assert ordering["order"] != ["assess", "separate", "interview", "inform"]


def test_answers_are_saved_updated_and_cleared(quiz_app, learner_id):
    app = quiz_app()
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        form = form_of({"a.first-priority": "reconcile", "a.arrival-time": "25"})
        result = save(attempt, ["first-priority", "arrival-time"], form, utcnow())
        db.session.commit()
        assert result.saved == ["first-priority", "arrival-time"] and result.errors == {}
        save(attempt, ["first-priority"], form_of({"a.first-priority": "safety"}), utcnow())
        save(attempt, ["arrival-time"], form_of({}), utcnow())  # cleared
        db.session.commit()
        assert attempts.answered(attempt) == {"first-priority": "safety"}
        # One "answered" event per question, however often it is saved.
        assert verbs(learner_id).count(Verb.ANSWERED) == 2


def test_a_bad_answer_is_refused_alone_and_a_foreign_question_refuses_everything(
    quiz_app, learner_id
):
    app = quiz_app()
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        save(attempt, ["arrival-time"], form_of({"a.arrival-time": "25"}), utcnow())
        form = form_of(
            {
                "a.arrival-time": "twenty",
                "a.first-priority": "nope",
                "a.interview-together": "false",
            }
        )
        result = save(
            attempt, ["arrival-time", "first-priority", "interview-together"], form, utcnow()
        )
        assert set(result.errors) == {"arrival-time", "first-priority"}
        assert "Enter a number" in str(result.errors["arrival-time"])
        assert attempts.answered(attempt) == {"arrival-time": 25.0, "interview-together": False}
        with pytest.raises(attempts.AttemptError, match="not part of your attempt"):
            save(attempt, ["interview-together", "no-such"], form_of({}), utcnow())
        assert attempts.answered(attempt)["interview-together"] is False


def test_submit_grades_once_and_feeds_progress(quiz_app, learner_id):
    app = quiz_app(**NO_ESSAY)
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        save(attempt, attempt.question_ids, answer_all(attempt), utcnow())
        assert attempts.submit(attempt, utcnow()) is True
        assert attempts.submit(attempt, utcnow()) is False
        db.session.commit()
        assert attempt.state == AttemptState.GRADED
        assert (attempt.percent, attempt.passed, attempt.score, attempt.max_score) == (
            100.0,
            True,
            8.0,
            8.0,
        )
        assert verbs(learner_id).count(Verb.PASSED) == 1
        progress = tracking.find_progress(user, module)
        assert progress.state["quizzes"]["check"] == {"best": 100.0, "passed": True}
        with pytest.raises(attempts.AttemptClosed):
            save(attempt, ["first-priority"], form_of({}), utcnow())


def test_the_database_decides_who_grades_a_stale_attempt(quiz_app, learner_id):
    """A second request holding the attempt as 'open' in memory does not grade it again."""
    app = quiz_app(**NO_ESSAY)
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        db.session.commit()
        attempt_id = attempt.id
        # Another request (its own connection) submits first.
        with db.engine.begin() as other:
            other.execute(
                text(
                    "UPDATE quiz_attempts SET state = 'graded', submitted_at = :now, "
                    "percent = 0, passed = false WHERE id = :id"
                ),
                {"now": utcnow(), "id": attempt_id},
            )
        assert attempt.state == AttemptState.OPEN  # what this request still holds
        assert attempts.submit(attempt, utcnow()) is False
        db.session.commit()
        assert attempt.state == AttemptState.GRADED and attempt.percent == 0
        assert verbs(learner_id).count(Verb.PASSED) + verbs(learner_id).count(Verb.FAILED) == 0


def test_constraints_refuse_inconsistent_or_duplicate_attempts(quiz_app, learner_id):
    app = quiz_app()
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        db.session.commit()
        base = {
            "user_id": user.id,
            "module_id": module.id,
            "module_version_id": attempt.module_version_id,
            "quiz_id": "check",
            "questions": [],
        }
        bad = [
            QuizAttempt(**base, number=1, state=AttemptState.GRADED),  # same number
            QuizAttempt(**base, number=2),  # a second open attempt
            QuizAttempt(**base, number=3, state=AttemptState.GRADED, submitted_at=utcnow()),
            QuizAttempt(**base, number=4, state=AttemptState.OPEN, submitted_at=utcnow()),
        ]
        for row in bad:
            db.session.add(row)
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
        db.session.add(
            QuizAnswer(attempt_id=attempt.id, question_id="first-priority", response="a")
        )
        db.session.add(
            QuizAnswer(attempt_id=attempt.id, question_id="first-priority", response="b")
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_time_limit_refuses_late_answers_and_submits_on_the_next_touch(quiz_app, learner_id):
    app = quiz_app(**NO_ESSAY, time_limit_minutes=5)
    with app.test_request_context():
        user, module = load(learner_id)
        start = utcnow()
        attempt = attempts.start(user, module, "check", start)
        save(attempt, ["first-priority"], form_of({"a.first-priority": "safety"}), start)
        late = start + timedelta(minutes=6)
        with pytest.raises(attempts.AttemptClosed, match="Time is up"):
            save(attempt, ["arrival-time"], form_of({"a.arrival-time": "25"}), late)
        db.session.commit()
        assert attempt.state == AttemptState.GRADED and attempt.expired
        assert attempts.answered(attempt) == {"first-priority": "safety"}
        assert attempt.score == 1.0 and attempt.passed is False


def test_an_expired_attempt_is_submitted_when_touched(quiz_app, learner_id):
    app = quiz_app(**NO_ESSAY, time_limit_minutes=5)
    with app.test_request_context():
        user, module = load(learner_id)
        start = utcnow()
        attempt = attempts.start(user, module, "check", start)
        assert attempts.expire_if_due(attempt, start + timedelta(minutes=5)) is False  # on time
        assert attempts.expire_if_due(attempt, start + timedelta(minutes=5, seconds=5)) is False
        assert attempts.expire_if_due(attempt, start + timedelta(minutes=6)) is True
        assert attempt.state == AttemptState.GRADED and attempt.submitted_at is not None
        # Starting again after an expiry opens attempt 2.
        assert attempts.start(user, module, "check", start + timedelta(minutes=7)).number == 2


@pytest.mark.parametrize(
    ("show_answers", "fresh"), [("never", True), ("after_last_attempt", False)]
)
def test_attempts_allowed_and_restart_refreshes_them_only_if_answers_stay_hidden(
    quiz_app, learner_id, show_answers, fresh
):
    app = quiz_app(**NO_ESSAY, attempts=2, show_answers=show_answers)
    with app.test_request_context():
        user, module = load(learner_id)
        for _ in range(2):
            attempt = attempts.start(user, module, "check", utcnow())
            attempts.submit(attempt, utcnow())
        with pytest.raises(attempts.AttemptError, match="used all your attempts"):
            attempts.start(user, module, "check", utcnow())
        tracking.restart(tracking.find_progress(user, module))
        if fresh:
            assert attempts.start(user, module, "check", utcnow()).number == 3
        else:  # the answers were shown after the last attempt: no new tries by restarting
            with pytest.raises(attempts.AttemptError, match="used all your attempts"):
                attempts.start(user, module, "check", utcnow())


def test_essays_wait_for_a_trainer_who_completes_the_attempt(quiz_app, learner_id, make_user):
    app = quiz_app(draw=None)
    trainer_id = make_user(role=Role.TRAINER).id
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        save(attempt, attempt.question_ids, answer_all(attempt), utcnow())
        attempts.submit(attempt, utcnow())
        db.session.commit()
        assert attempt.state == AttemptState.AWAITING_REVIEW
        assert (attempt.score, attempt.max_score, attempt.percent) == (8.0, 11.0, None)
        assert Verb.PASSED not in verbs(learner_id)
        trainer = db.session.get(User, trainer_id)
        [(essay, _answer)] = attempts.essays_to_review(attempt)
        with pytest.raises(attempts.AttemptError, match="between 0"):
            attempts.grade_essays(
                attempt, {essay.id: attempts.EssayScore(4, "")}, trainer, utcnow()
            )
        with pytest.raises(attempts.AttemptError, match="every answer"):
            attempts.grade_essays(attempt, {}, trainer, utcnow())
        attempts.grade_essays(
            attempt, {essay.id: attempts.EssayScore(1.5, " Name the shelter. ")}, trainer, utcnow()
        )
        db.session.commit()
        assert attempt.state == AttemptState.GRADED
        assert (attempt.score, attempt.percent, attempt.passed) == (9.5, 86.36, True)
        answer = next(a for a in attempt.answers if a.question_id == essay.id)
        assert (answer.points, answer.comment, answer.reviewed_by_id) == (
            1.5,
            "Name the shelter.",
            trainer_id,
        )
        progress = db.session.scalar(select(Progress).where(Progress.user_id == learner_id))
        assert progress.state["quizzes"]["check"]["passed"] is True
        with pytest.raises(attempts.AttemptClosed, match="already been graded"):
            attempts.grade_essays(
                attempt, {essay.id: attempts.EssayScore(3, "")}, trainer, utcnow()
            )


def test_a_blank_essay_needs_no_review(quiz_app, learner_id):
    app = quiz_app(draw=None)
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        form = answer_all(attempt, skip={"explain-help"})
        save(attempt, attempt.question_ids, form, utcnow())
        attempts.submit(attempt, utcnow())
        assert attempt.state == AttemptState.GRADED
        assert (attempt.score, attempt.max_score, attempt.percent) == (8.0, 11.0, 72.73)
        # 72.73% passes the quiz's own mark (70) but not the module's for it (80), which counts
        assert attempt.passed is False
