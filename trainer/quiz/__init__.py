"""Quizzes: the learner's player (`quiz`, under /learn) and the trainers' essay review
(`review`, under /review)."""

from pathlib import Path

from flask import Blueprint

from trainer.learning.grading import REGISTRY, check_registry
from trainer.quiz.scores import score_text

bp = Blueprint("quiz", __name__, template_folder="templates")
review_bp = Blueprint("review", __name__, template_folder="templates")
# {{ percent|score(pass_mark) }}: a quiz score as every page shows it (trainer.quiz.scores).
bp.add_app_template_filter(score_text, "score")


@bp.record_once
def check_question_types(state) -> None:
    """Start-up check: every question type has grading and a template, or the app stops."""
    check_registry()
    folder = Path(bp.root_path) / bp.template_folder
    missing = [t.template for t in REGISTRY.values() if not (folder / t.template).is_file()]
    if missing:
        raise RuntimeError(f"question type templates missing: {missing}")


from trainer.quiz import review, views  # noqa: E402, F401  (routes attach to the blueprints)
