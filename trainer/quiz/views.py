"""The learner's quiz pages: overview and history, the attempt (a page of questions at a time),
a check before submitting, and the result. Every page works as plain forms; quiz.js adds
autosave and a countdown."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from trainer.extensions import db
from trainer.inputs import PAGE_MAX, ascii_int, db_int
from trainer.learn.views import module_and_progress
from trainer.learning import attempts as service
from trainer.learning import grading
from trainer.learning import progress as tracking
from trainer.learning.completion import quiz_pass_mark
from trainer.learning.content import content_of
from trainer.models import AttemptState, QuizAttempt
from trainer.models.types import utcnow
from trainer.policy import authorize, require
from trainer.quiz import bp

ATTEMPT = "/<slug>/quizzes/<quiz_id>/attempts/<int:attempt_id>"


def per_page() -> int:
    return current_app.config.get("QUIZ_QUESTIONS_PER_PAGE", 5)


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/<slug>/quizzes/<quiz_id>")
@require("learn.browse")
def quiz(slug: str, quiz_id: str):
    module, progress = module_and_progress(slug)
    content = content_of(
        progress.version if progress else tracking.starting_version(current_user, module)
    )
    quiz = content.quizzes.get(quiz_id) or abort(404)
    attempts = service.history(current_user, content.version_id, quiz_id)
    current = service.open_attempt(attempts)
    if current is not None and touch(current):
        current = None
    left = service.attempts_left(quiz, attempts, progress) if progress else quiz.attempts
    return render_template(
        "quiz/quiz.html",
        module=module,
        content=content,
        quiz=quiz,
        attempts=list(reversed(attempts)),
        current=current,
        resume_page=first_unanswered_page(current) if current else 1,
        left=left,
        questions=quiz.per_attempt,
        pass_mark=quiz_pass_mark(content.meta, quiz.id, quiz.pass_mark),
    )


@bp.route("/<slug>/quizzes/<quiz_id>/start", methods=["POST"])
@require("learn.browse")
def start(slug: str, quiz_id: str):
    module, progress = module_and_progress(slug)
    if (
        quiz_id
        not in content_of(
            progress.version if progress else tracking.starting_version(current_user, module)
        ).quizzes
    ):
        abort(404)
    try:
        attempt = begin(module, quiz_id)
    except service.AttemptError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quiz.quiz", slug=slug, quiz_id=quiz_id))
    db.session.commit()
    return redirect(attempt_url(attempt, page=first_unanswered_page(attempt)))


def begin(module, quiz_id: str) -> QuizAttempt:
    try:
        return service.start(current_user, module, quiz_id, utcnow())
    except IntegrityError:
        # A second tab started the attempt at the same moment: resume that one.
        db.session.rollback()
        return service.start(current_user, module, quiz_id, utcnow())


# Built once: every autosave runs it.
ATTEMPT_BY_ID = (
    select(QuizAttempt)
    .where(QuizAttempt.id == bindparam("attempt_id"))
    .options(joinedload(QuizAttempt.module), joinedload(QuizAttempt.version))
)


def load_attempt(slug: str, quiz_id: str, attempt_id: int) -> QuizAttempt:
    attempt = db.session.scalar(ATTEMPT_BY_ID, {"attempt_id": attempt_id}) or abort(404)
    authorize("quiz.attempt.own", attempt)
    if attempt.quiz_id != quiz_id or attempt.module.slug != slug:
        abort(404)
    return attempt


def touch(attempt: QuizAttempt) -> bool:
    """Submit an attempt whose time is up; True if that happened now."""
    if service.expire_if_due(attempt, utcnow()):
        db.session.commit()
        flash(_("Time is up. Your attempt was submitted with the answers saved in time."), "info")
        return True
    return False


def attempt_url(attempt: QuizAttempt, endpoint: str = "quiz.attempt", **kwargs) -> str:
    return url_for(
        endpoint,
        slug=attempt.module.slug,
        quiz_id=attempt.quiz_id,
        attempt_id=attempt.id,
        **kwargs,
    )


def first_unanswered_page(attempt: QuizAttempt) -> int:
    done = service.answered(attempt)
    index = next((i for i, q in enumerate(attempt.question_ids) if q not in done), 0)
    return index // per_page() + 1


@bp.route(ATTEMPT)
@require("learn.browse")
def attempt(slug: str, quiz_id: str, attempt_id: int):
    attempt = load_attempt(slug, quiz_id, attempt_id)
    touch(attempt)
    if attempt.state != AttemptState.OPEN:
        return redirect(attempt_url(attempt, "quiz.result"))
    return render_page(attempt, request.args.get("page", 1, type=db_int))


def render_page(attempt: QuizAttempt, page: int, errors=None, typed=None):
    questions = service.questions_of(attempt)
    pages = max(1, -(-len(questions) // per_page()))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page()
    saved = service.answered(attempt)
    revisions = service.revisions(attempt)
    entries = [
        {
            "number": first + n,
            "id": question.id,
            "revision": revisions.get(question.id, 0),
            "type": grading.type_of(question),
            # Ids and texts only: nothing on this page says which answer is correct.
            "view": grading.type_of(question).public(question, attempt.layout(question.id)),
            "values": {
                **grading.type_of(question).form_values(
                    question, attempt.layout(question.id), saved.get(question.id)
                ),
                **(typed or {}).get(question.id, {}),
            },
            "error": (errors or {}).get(question.id),
        }
        for n, question in enumerate(questions[first : first + per_page()], start=1)
    ]
    return render_template(
        "quiz/attempt.html",
        attempt=attempt,
        quiz=service.quiz_of(attempt),
        entries=entries,
        page=page,
        pages=pages,
        answered=len(saved),
        total=len(questions),
        page_of={q.id: i // per_page() + 1 for i, q in enumerate(questions)},
    )


@bp.route(ATTEMPT, methods=["POST"])
@require("learn.browse")
def save(slug: str, quiz_id: str, attempt_id: int):
    # The attempt's row alone, not the ORM's attempt, module and version: autosave runs often.
    sheet = service.open_sheet(attempt_id) or abort(404)
    authorize("quiz.attempt.own", sheet)
    if sheet.quiz_id != quiz_id or sheet.slug != slug:
        abort(404)
    page = request.form.get("page", 1, type=db_int)
    shown = request.form.getlist("shown")
    here = {"slug": slug, "quiz_id": quiz_id, "attempt_id": attempt_id}
    try:
        result = service.save_answers(sheet, shown, request.form, utcnow(), seen_revisions())
    except service.AttemptClosed as error:
        db.session.commit()  # an attempt whose time ran out has just been submitted
        return refuse(error.message, 409, url_for("quiz.result", **here))
    except service.AttemptError as error:
        db.session.rollback()
        return refuse(error.message, 400, url_for("quiz.attempt", **here, page=page))
    db.session.commit()
    if wants_json():
        errors = {k: str(v) for k, v in result.errors.items()}
        # Not the revision of a stale answer: the page still shows its own answer there, and
        # with the new revision its next save would overwrite the other window's unseen.
        revisions = {k: v for k, v in result.revisions.items() if k not in result.stale}
        body = {"saved": result.saved, "errors": errors, "revisions": revisions}
        return body, 422 if errors else 200
    if result.errors:
        # A refused answer is shown as typed, to correct it; a stale one as stored now.
        typed = {k: as_typed(request.form, k) for k in result.errors if k not in result.stale}
        page = sheet.question_ids.index(next(iter(result.errors))) // per_page() + 1
        return render_page(load_attempt(slug, quiz_id, attempt_id), page, result.errors, typed)
    return redirect(next_location(here, page, request.form.get("go", "stay")))


def seen_revisions() -> dict[str, int]:
    """The revision of each answer as the page showed it; an unreadable one matches none."""
    seen = {}
    for question_id in request.form.getlist("shown"):
        revision = ascii_int(request.form.get(f"revision-{question_id}", "0"))
        seen[question_id] = -1 if revision is None else revision
    return seen


def as_typed(form, question_id: str) -> dict:
    """What the learner sent for a refused answer, to show it again for correcting."""
    name = grading.field_name(question_id)
    return {k: form.get(k) for k in form if k == name or k.startswith(name + ".")}


def refuse(message, status: int, location: str):
    if wants_json():
        return {"error": str(message), "location": location}, status
    flash(message, "error")
    return redirect(location)


def next_location(here: dict, page: int, go: str) -> str:
    """Where the page's button leads; `here` holds the attempt's slug, quiz id and id."""
    if go == "review":
        return url_for("quiz.review", **here)
    if go == "next":
        page += 1
    elif go == "previous":
        page -= 1
    elif go.startswith("page-") and ascii_int(go[5:], PAGE_MAX) is not None:
        page = int(go[5:])
    else:
        flash(_("Your answers are saved."), "success")
    return url_for("quiz.attempt", **here, page=page)


@bp.route(f"{ATTEMPT}/review")
@require("learn.browse")
def review(slug: str, quiz_id: str, attempt_id: int):
    attempt = load_attempt(slug, quiz_id, attempt_id)
    touch(attempt)
    if attempt.state != AttemptState.OPEN:
        return redirect(attempt_url(attempt, "quiz.result"))
    questions = service.questions_of(attempt)
    saved = service.answered(attempt)
    return render_template(
        "quiz/review.html",
        attempt=attempt,
        quiz=service.quiz_of(attempt),
        questions=questions,
        saved=saved,
        page_of={q.id: i // per_page() + 1 for i, q in enumerate(questions)},
    )


@bp.route(f"{ATTEMPT}/submit", methods=["POST"])
@require("learn.browse")
def submit(slug: str, quiz_id: str, attempt_id: int):
    attempt = load_attempt(slug, quiz_id, attempt_id)
    now = utcnow()
    late = service.is_late(attempt, now)
    graded_now = service.submit(attempt, now, expired=late)
    db.session.commit()
    if not graded_now:
        flash(_("This attempt had already been submitted. It was graded once."), "info")
    elif late:
        flash(_("Time is up. Your attempt was submitted with the answers saved in time."), "info")
    return redirect(attempt_url(attempt, "quiz.result"))


@bp.route(f"{ATTEMPT}/result")
@require("learn.browse")
def result(slug: str, quiz_id: str, attempt_id: int):
    attempt = load_attempt(slug, quiz_id, attempt_id)
    touch(attempt)
    if attempt.state == AttemptState.OPEN:
        return redirect(attempt_url(attempt))
    quiz = service.quiz_of(attempt)
    outcomes = service.outcomes_of(attempt)
    answers = {a.question_id: a for a in attempt.answers}
    references = {ref.id: ref for ref in content_of(attempt.version).meta.references}
    entries = [
        {
            "number": n,
            "question": question,
            "type": grading.type_of(question),
            "answer": answers.get(question.id),
            "response": answers[question.id].response if question.id in answers else None,
            "outcome": outcomes[question.id],
            "layout": attempt.layout(question.id),
            "reference": references.get(question.reference),
        }
        for n, question in enumerate(service.questions_of(attempt), start=1)
    ]
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        quiz=quiz,
        entries=entries,
        pass_mark=service.pass_mark_of(attempt),
        show_answers=service.answers_visible(attempt),
        auto_possible=sum(e["outcome"].possible for e in entries if not e["type"].manual),
    )
