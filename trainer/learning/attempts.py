"""Quiz attempts: start or resume, save answers, submit once, expire, grade essays.

Plain functions over the models; they flush and the caller commits. `now` is a parameter so
that time limits are tested without waiting.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from trainer import plain_statements
from trainer.content.schema import Quiz
from trainer.extensions import db
from trainer.learning import grading
from trainer.learning import progress as tracking
from trainer.learning.completion import quiz_pass_mark
from trainer.learning.content import content_of, content_of_id
from trainer.learning.quiz_draw import draw, fixed_order_key
from trainer.models import (
    AttemptState,
    Module,
    ModuleVersion,
    Progress,
    QuizAnswer,
    QuizAttempt,
    User,
    Verb,
)

# Answers that left the browser just before the deadline still count.
GRACE = timedelta(seconds=10)


class AttemptError(Exception):
    """Refused: the message says why, in words the learner understands."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AttemptClosed(AttemptError):
    """The attempt is no longer open (submitted, or its time is up)."""


def quiz_of(attempt: QuizAttempt) -> Quiz:
    return content_of(attempt.version).quizzes[attempt.quiz_id]


def pass_mark_of(attempt: QuizAttempt) -> int:
    """The percentage this attempt needs to pass, in its module (see completion.quiz_pass_mark)."""
    content = content_of(attempt.version)
    return quiz_pass_mark(content.meta, attempt.quiz_id, content.quizzes[attempt.quiz_id].pass_mark)


def questions_of(attempt: QuizAttempt) -> list:
    """The attempt's questions, in its frozen order."""
    by_id = {q.id: q for q in quiz_of(attempt).questions}
    return [by_id[question_id] for question_id in attempt.question_ids]


# Start ----------------------------------------------------------------------------------


def history(user: User, version_id: int, quiz_id: str) -> list[QuizAttempt]:
    return db.session.scalars(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.module_version_id == version_id,
            QuizAttempt.quiz_id == quiz_id,
        )
        .order_by(QuizAttempt.number)
    ).all()


def in_current_run(attempt: QuizAttempt, progress: Progress | None) -> bool:
    """Whether the attempt counts for the learner's current run of the module: an open one, or
    one submitted since the run began (not before "Start again")."""
    return (
        progress is not None
        and attempt.module_version_id == progress.module_version_id
        and (attempt.submitted_at is None or attempt.submitted_at >= progress.started_at)
    )


def attempts_left(quiz: Quiz, attempts: list[QuizAttempt], progress: Progress) -> int | None:
    """None: unlimited. Restarting the module gives a fresh set of attempts only for a quiz
    that never shows its answers: otherwise a learner could restart, with the answers seen,
    and pass by memory. Attempts on an earlier version of the module do not count."""
    if quiz.attempts is None:
        return None
    if quiz.show_answers == "never":
        used = sum(in_current_run(a, progress) for a in attempts)
    else:
        used = sum(a.module_version_id == progress.module_version_id for a in attempts)
    return max(0, quiz.attempts - used)


def open_attempt(attempts: list[QuizAttempt]) -> QuizAttempt | None:
    return next((a for a in attempts if a.state == AttemptState.OPEN), None)


def start(user: User, module: Module, quiz_id: str, now: datetime) -> QuizAttempt:
    """The open attempt, or a new one with its questions drawn and ordered once."""
    progress = tracking.lock(tracking.start(user, module))
    quiz = content_of(progress.version).quizzes[quiz_id]
    attempts = history(user, progress.module_version_id, quiz_id)
    current = open_attempt(attempts)
    if current is not None:
        return current
    if attempts_left(quiz, attempts, progress) == 0:
        raise AttemptError(_l("You have used all your attempts at this quiz."))
    attempt = QuizAttempt(
        user_id=user.id,
        module_id=module.id,
        module_version_id=progress.module_version_id,
        version=progress.version,
        quiz_id=quiz_id,
        number=max((a.number for a in attempts), default=0) + 1,
        questions=draw(
            quiz, secrets.SystemRandom(), fixed_order_key(progress.module_version_id, quiz_id)
        ),
        started_at=now,
        updated_at=now,
        deadline=now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes
        else None,
    )
    # Two tabs pressing Start at once: the unique constraints refuse the second insert
    # (IntegrityError); the caller rolls back and calls start() again, which finds this one.
    db.session.add(attempt)
    db.session.flush()
    tracking.record(
        progress, Verb.ATTEMPTED, f"{module.slug}/quiz/{quiz_id}", {"attempt": attempt.number}
    )
    return attempt


# Who sees the correct answers ---------------------------------------------------------------


def answers_visible(attempt: QuizAttempt) -> bool:
    """The quiz's `show_answers` for a submitted attempt: after_submit always; after_pass on a
    passing attempt; after_last_attempt once the learner has passed in this run of the module
    or has no attempts left; never not at all."""
    quiz = quiz_of(attempt)
    if quiz.show_answers in ("after_submit", "never"):
        return quiz.show_answers == "after_submit"
    if attempt.passed:
        return True
    if quiz.show_answers != "after_last_attempt":
        return False
    progress = db.session.scalar(
        select(Progress).where(
            Progress.user_id == attempt.user_id, Progress.module_id == attempt.module_id
        )
    )
    attempts = history(attempt.user, attempt.module_version_id, attempt.quiz_id)
    passed = any(a.passed and in_current_run(a, progress) for a in attempts)
    return passed or attempts_left(quiz, attempts, progress) == 0


# Answers --------------------------------------------------------------------------------


@dataclass
class SaveResult:
    saved: list[str]
    errors: dict[str, object]  # question id -> message
    stale: list[str]  # refused: the stored answer changed after the page was shown
    revisions: dict[str, int]  # question id -> revision of the stored answer now (0: none)


def expire_if_due(attempt: QuizAttempt, now: datetime) -> bool:
    """An open attempt past its deadline is submitted as it stands; True if that happened."""
    if attempt.state == AttemptState.OPEN and is_late(attempt, now):
        submit(attempt, now, expired=True)
        return True
    return False


def is_late(attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + GRACE


@dataclass(frozen=True)
class OpenSheet:
    """What an autosave needs of an attempt, read in one statement with no ORM objects (an
    autosave runs every few seconds per learner; the ORM's attempt, module and version cost
    more than the rest of the save)."""

    id: int
    user_id: int
    module_id: int
    quiz_id: str
    number: int
    state: AttemptState
    deadline: datetime | None
    questions: list
    slug: str
    version_id: int
    content_hash: str

    @property
    def question_ids(self) -> list[str]:
        return [entry["id"] for entry in self.questions]

    def layout(self, question_id: str) -> list[str] | None:
        return next(e["order"] for e in self.questions if e["id"] == question_id)


_attempts, _answers = QuizAttempt.__table__, QuizAnswer.__table__
_modules, _versions = Module.__table__, ModuleVersion.__table__
SHEET_BY_ID = (
    select(
        *(_attempts.c[name] for name in ("id", "user_id", "module_id", "quiz_id", "number")),
        *(_attempts.c[name] for name in ("state", "deadline", "questions")),
        _modules.c.slug,
        _versions.c.id.label("version_id"),
        _versions.c.content_hash,
    )
    .join(_modules, _modules.c.id == _attempts.c.module_id)
    .join(_versions, _versions.c.id == _attempts.c.module_version_id)
    .where(_attempts.c.id == bindparam("attempt_id"))
)  # built once, like the statements below: every autosave runs them


def open_sheet(attempt_id: int) -> OpenSheet | None:
    found = plain_statements.rows(db.session.connection(), SHEET_BY_ID, {"attempt_id": attempt_id})
    return OpenSheet(*found[0]) if found else None


@dataclass(frozen=True)
class StoredAnswer:
    id: int
    response: object
    revision: int


STORED_ANSWERS = select(
    _answers.c.question_id, _answers.c.id, _answers.c.response, _answers.c.revision
).where(_answers.c.attempt_id == bindparam("attempt_id"))
INSERT_ANSWER = plain_statements.insert_values(
    _answers, "attempt_id", "question_id", "response", "saved_at", "revision"
)
# Each write matches only the revision it read: a change made meanwhile (another tab) makes it
# match no row, and the view runs again on fresh rows (trainer/transactions.py).
UPDATE_ANSWER = (
    update(_answers)
    .where(_answers.c.id == bindparam("answer_id"), _answers.c.revision == bindparam("read"))
    .values(
        response=bindparam("new_response", type_=_answers.c.response.type),
        saved_at=bindparam("now", type_=_answers.c.saved_at.type),
        revision=_answers.c.revision + 1,
    )
)


def stored_answers(attempt_id: int) -> dict[str, StoredAnswer]:
    rows = plain_statements.rows(
        db.session.connection(), STORED_ANSWERS, {"attempt_id": attempt_id}
    )
    return {question_id: StoredAnswer(*rest) for question_id, *rest in rows}


def save_answers(
    sheet: OpenSheet,
    shown: list[str],
    form,
    now: datetime,
    seen: Mapping[str, int] | None = None,
) -> SaveResult:
    """Save the answers to the questions `shown` on the page; a blank one clears its answer.

    `seen` holds the revision of each stored answer when the page was rendered (0: none); an
    answer stored since then is not overwritten by that page (the same answer sent again is
    simply saved). None: the caller works on the
    answers as stored now (no page was shown). A question that is not in the
    attempt refuses the whole request; an invalid or stale answer is refused alone, and the
    learner's other answers are saved.

    Everything is read and parsed first; the writes (the claim of the open attempt, then the
    changed answers) come last, so that SQLite's single write lock is held for a few
    statements, not for the parsing (other learners' saves wait for it meanwhile).
    """
    unknown = [qid for qid in shown if qid not in sheet.question_ids]
    if unknown:
        raise AttemptError(_l("This question is not part of your attempt."))
    if sheet.state == AttemptState.OPEN and is_late(sheet, now):
        expire_if_due(db.session.get(QuizAttempt, sheet.id), now)
        raise AttemptClosed(_l("Time is up: answers sent after the time limit were not saved."))
    quiz = content_of_id(sheet.version_id, sheet.content_hash).quizzes[sheet.quiz_id]
    questions = {q.id: q for q in quiz.questions}
    stored = stored_answers(sheet.id)
    seen = {qid: a.revision for qid, a in stored.items()} if seen is None else seen
    result, changes = SaveResult([], {}, [], {}), {}
    for question_id in dict.fromkeys(shown):
        question, answer = questions[question_id], stored.get(question_id)
        try:
            response = grading.type_of(question).parse(question, sheet.layout(question_id), form)
        except grading.InvalidAnswer as error:
            response = error
        if _conflicts(answer, seen.get(question_id, 0), response):
            result.stale.append(question_id)
            result.errors[question_id] = STALE_MESSAGE
        elif isinstance(response, grading.InvalidAnswer):
            result.errors[question_id] = response.message
        else:
            if response != (answer.response if answer is not None else None):
                changes[question_id] = response
            result.saved.append(question_id)
    _claim_open(sheet, now)
    result.revisions = _write(sheet, stored, changes, now)
    return result


def _write(sheet: OpenSheet, stored: dict[str, StoredAnswer], changes: dict, now) -> dict:
    """Store the changed answers; the revisions of the answers stored now.

    A cleared answer (None) keeps its row, with no response and the next revision. Deleted,
    it was stored again at revision 1 when typed anew, the revision another tab may still
    show for the answer before: that tab's change then overwrote the new answer unseen. And
    the reply named no revision for it, so quiz.js kept the old one, and the tab that
    cleared the answer was told that another window had changed it."""
    connection = db.session.connection()
    revisions = {qid: answer.revision for qid, answer in stored.items()}
    first = []
    for question_id, response in changes.items():
        answer = stored.get(question_id)
        if answer is None:
            row = {"attempt_id": sheet.id, "question_id": question_id, "response": response}
            plain_statements.written(
                connection, INSERT_ANSWER, {**row, "saved_at": now, "revision": 1}
            )
            revisions[question_id] = 1
            first.append(question_id)
            continue
        params = {"answer_id": answer.id, "read": answer.revision}
        params |= {"new_response": response, "now": now}
        _one_row(plain_statements.written(connection, UPDATE_ANSWER, params), "quiz_answers")
        revisions[question_id] = answer.revision + 1
    _record_first_answers(sheet, first)
    return revisions


def _one_row(matched: int, table: str) -> None:
    """A write guarded by a revision that matched no row lost a race: run the view again."""
    if matched != 1:
        raise StaleDataError(f"{table}: a row changed since it was read")


STALE_MESSAGE = _l(
    "This answer was changed in another window after this page was opened, so it was not "
    "overwritten. Reload the page to see the saved answer."
)


def _conflicts(stored: StoredAnswer | None, seen_revision: int, response) -> bool:
    """Whether the answer was stored after the page was shown (in another tab), as something
    other than what the page sends now: then the page must not overwrite it. The same answer
    sent again, after a connection lost before its reply, finds itself stored: no conflict."""
    if revision_of(stored) == seen_revision:
        return False
    return isinstance(response, grading.InvalidAnswer) or response != (
        stored.response if stored is not None else None
    )


def revision_of(answer: StoredAnswer | None) -> int:
    return answer.revision if answer is not None else 0


def revisions(attempt: QuizAttempt) -> dict[str, int]:
    """Question id -> revision of its stored answer, for the page to send back."""
    return {a.question_id: a.revision for a in attempt.answers}


CLAIM_OPEN = (
    update(_attempts)
    .where(_attempts.c.id == bindparam("attempt_id"), _attempts.c.state == AttemptState.OPEN)
    .values(updated_at=bindparam("now", type_=_attempts.c.updated_at.type))
)


def _claim_open(sheet: OpenSheet, now: datetime) -> None:
    """Lock the attempt row while it is open: a submit waits until these answers are in."""
    claimed = plain_statements.written(
        db.session.connection(), CLAIM_OPEN, {"attempt_id": sheet.id, "now": now}
    )
    if claimed != 1:
        raise AttemptClosed(_l("This attempt has been submitted; answers can no longer change."))


def _record_first_answers(sheet: OpenSheet, question_ids: list[str]) -> None:
    """One "answered" event per question and attempt, when its first answer is stored: not
    one per autosave, and none for a question left blank."""
    if not question_ids:
        return
    progress = db.session.scalar(
        select(Progress).where(
            Progress.user_id == sheet.user_id, Progress.module_id == sheet.module_id
        )
    )
    if progress is None:
        return
    base = f"{sheet.slug}/quiz/{sheet.quiz_id}"
    for question_id in question_ids:
        tracking.record(progress, Verb.ANSWERED, f"{base}/{question_id}", {"attempt": sheet.number})


def answered(attempt: QuizAttempt) -> dict[str, object]:
    """Question id -> response, for the questions answered (not those cleared since)."""
    return {a.question_id: a.response for a in attempt.answers if a.response is not None}


# Submit and grade -----------------------------------------------------------------------


def submit(attempt: QuizAttempt, now: datetime, expired: bool = False) -> bool:
    """Grade the attempt once. True if this call graded it; False if another request had
    already submitted it (then nothing changes)."""
    won = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == AttemptState.OPEN)
        .values(state=AttemptState.AWAITING_REVIEW, submitted_at=now, expired=expired)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Read what the database holds now: the state, and answers saved up to this moment.
    db.session.refresh(attempt)
    db.session.expire(attempt, ["answers"])
    if won != 1:
        return False
    outcomes = _grade_answers(attempt)
    totals = grading.total(list(outcomes.values()))
    attempt.score, attempt.max_score = totals.earned, totals.possible
    if not totals.pending:
        _finish(attempt, totals, now)
    db.session.flush()
    return True


def _grade_answers(attempt: QuizAttempt) -> dict[str, grading.Outcome]:
    responses = {a.question_id: a for a in attempt.answers}
    outcomes = {}
    for question in questions_of(attempt):
        answer = responses.get(question.id)
        outcome = grading.grade(question, answer.response if answer else None)
        if answer is not None:
            answer.points = outcome.points
        outcomes[question.id] = outcome
    return outcomes


def _finish(attempt: QuizAttempt, totals: grading.Total, now: datetime) -> None:
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    attempt.percent = totals.percent
    attempt.passed = totals.percent >= pass_mark_of(attempt)
    progress = db.session.scalar(
        select(Progress).where(
            Progress.user_id == attempt.user_id, Progress.module_id == attempt.module_id
        )
    )
    if in_current_run(attempt, progress):
        tracking.record_quiz_result(progress, attempt.quiz_id, attempt.percent, attempt.passed)


def outcomes_of(attempt: QuizAttempt) -> dict[str, grading.Outcome]:
    """Per-question outcomes of a submitted attempt, from its stored answers."""
    responses = answered(attempt)
    result = {}
    for question in questions_of(attempt):
        answer = next((a for a in attempt.answers if a.question_id == question.id), None)
        if grading.type_of(question).manual and answer is not None:
            result[question.id] = grading.Outcome(answer.points, question.points)
        else:
            result[question.id] = grading.grade(question, responses.get(question.id))
    return result


# Trainer review -------------------------------------------------------------------------


@dataclass(frozen=True)
class EssayScore:
    points: float
    comment: str


def essays_to_review(attempt: QuizAttempt) -> list[tuple]:
    """(question, answer) for every essay the learner wrote."""
    answers = {a.question_id: a for a in attempt.answers}
    return [
        (question, answers[question.id])
        for question in questions_of(attempt)
        if question.id in answers and grading.needs_review(question, answers[question.id].response)
    ]


def grade_essays(
    attempt: QuizAttempt, scores: dict[str, EssayScore], reviewer: User, now: datetime
) -> None:
    """The trainer's scores for every essay; the attempt is then graded, once."""
    essays = essays_to_review(attempt)
    for question, _answer in essays:
        score = scores.get(question.id)
        if score is None:
            raise AttemptError(_l("Give a score for every answer."))
        if not 0 <= score.points <= question.points:
            raise AttemptError(_l("A score must be between 0 and the question's points."))
    won = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == AttemptState.AWAITING_REVIEW)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.refresh(attempt)
        raise AttemptClosed(_l("This attempt has already been graded."))
    for question, answer in essays:
        score = scores[question.id]
        answer.points = round(score.points, 2)
        answer.comment = score.comment.strip() or None
        answer.reviewed_by_id, answer.reviewed_at = reviewer.id, now
    totals = grading.total(list(outcomes_of(attempt).values()))
    attempt.score, attempt.max_score = totals.earned, totals.possible
    _finish(attempt, totals, now)
    db.session.flush()


def review_queue(learner_ids) -> list[QuizAttempt]:
    """Attempts waiting for a trainer, oldest first, for the given learners (a SELECT)."""
    return db.session.scalars(
        select(QuizAttempt)
        .where(
            QuizAttempt.state == AttemptState.AWAITING_REVIEW,
            QuizAttempt.user_id.in_(learner_ids),
        )
        .options(
            joinedload(QuizAttempt.user),
            joinedload(QuizAttempt.version),
            joinedload(QuizAttempt.module),
        )
        .order_by(QuizAttempt.submitted_at)
    ).all()
