"""Trainers mark essay answers: a queue of their own learners' attempts, and a page per
attempt with each essay, its rubric, a score and a comment."""

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from trainer import audit
from trainer.errors import render_error
from trainer.extensions import db
from trainer.learning import attempts as service
from trainer.learning.cohort_queries import taught_learner_ids
from trainer.learning.content import content_of
from trainer.models import AttemptState, QuizAttempt
from trainer.models.types import utcnow
from trainer.policy import authorize, require
from trainer.quiz import review_bp as bp

NOT_SUBMITTED = _l(
    "The learner is still working on this attempt. It can be marked once it is submitted."
)


@bp.route("/")
@require("quiz.review.queue")
def queue():
    waiting = service.review_queue(taught_learner_ids(current_user))
    rows = [(a, content_of(a.version)) for a in waiting]
    return render_template("quiz/review_queue.html", rows=rows)


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@require("quiz.review.queue")
def attempt(attempt_id: int):
    attempt = db.get_or_404(QuizAttempt, attempt_id)
    authorize("quiz.review.grade", attempt)
    if attempt.state == AttemptState.OPEN:
        return render_error(409, _("Not submitted yet"), NOT_SUBMITTED)
    errors = {}
    if request.method == "POST" and attempt.state == AttemptState.AWAITING_REVIEW:
        scores, errors = read_scores(attempt)
        if not errors:
            try:
                service.grade_essays(attempt, scores, current_user, utcnow())
            except service.AttemptError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                audit.record(
                    audit.Action.ESSAY_GRADED, actor=current_user, target=attempt,
                    module=attempt.module.slug, score=attempt.score, max_score=attempt.max_score,
                )  # fmt: skip
                db.session.commit()
                flash(_("The attempt is graded; the learner can see your comments."), "success")
                return redirect(url_for("review.queue"))
    elif request.method == "POST":
        flash(_("This attempt has already been graded."), "info")
    return render_template(
        "quiz/review_attempt.html",
        attempt=attempt,
        content=content_of(attempt.version),
        quiz=service.quiz_of(attempt),
        pass_mark=service.pass_mark_of(attempt),
        essays=service.essays_to_review(attempt),
        errors=errors,
        form=request.form,
    )


def read_scores(attempt: QuizAttempt) -> tuple[dict, dict]:
    scores, errors = {}, {}
    for question, _answer in service.essays_to_review(attempt):
        text = request.form.get(f"score.{question.id}", "").strip().replace(",", ".")
        try:
            points = float(text)
        except ValueError:
            points = math.nan
        if not math.isfinite(points) or not 0 <= points <= question.points:
            errors[question.id] = _(
                "Enter a score from 0 to %(points)s.", points=format_decimal(question.points)
            )
            continue
        comment = request.form.get(f"comment.{question.id}", "")[:5000]
        scores[question.id] = service.EssayScore(points, comment)
    return scores, errors
