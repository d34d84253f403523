"""The learner's assignments for "My training" (trainer.learn.views.my_training)."""

from flask_babel import to_user_timezone

from trainer.learning.cohort_queries import learner_assignments
from trainer.learning.content import content_of, content_of_id
from trainer.learning.dashboard import AssignedModule, assigned_modules
from trainer.models.types import utcnow


def assignment_title(assignment) -> dict:
    version = assignment.pinned_version or assignment.module.latest_version
    return content_of(version).meta.title


def assigned_training(user_id: int, progress_rows) -> list[AssignedModule]:
    """Every module the learner's cohorts assign, with due dates and progress; one query."""
    today = to_user_timezone(utcnow()).date()
    by_module = {p.module_id: p for p in progress_rows}
    rows = learner_assignments(user_id)
    return assigned_modules(rows, by_module, today, title_of_row)


def title_of_row(row) -> dict:
    return content_of_id(row.version_id, row.content_hash).meta.title
