"""The learner's modules and assignments for "My training" (trainer.learn.views.my_training)."""

from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, exists, select

from trainer import plain_statements
from trainer.extensions import db
from trainer.learning.certificates import HeldCertificate
from trainer.learning.cohort_queries import LEARNER_ASSIGNMENTS
from trainer.learning.content import content_of, content_of_id
from trainer.learning.dashboard import AssignedModule, assigned_modules
from trainer.models import Assignment, Certificate, CohortMember, Module, ModuleVersion, Progress
from trainer.models.types import utcnow

if TYPE_CHECKING:  # trainer.learn's views import this module
    from trainer.learn.dates import ReaderDates

_progress, _modules = Progress.__table__, Module.__table__
_versions, _certificates = ModuleVersion.__table__, Certificate.__table__
# Whether a cohort the learner counts in assigns anything (LEARNER_ASSIGNMENTS's rows need one):
# asked with the learner's modules, it spares a learner with none the assignments' query.
ASSIGNED = exists().where(
    CohortMember.user_id == _progress.c.user_id,
    CohortMember.counts(),
    Assignment.cohort_id == CohortMember.cohort_id,
)
# Built once, as plain columns: every module the learner started, last active first, with its
# slug, the version they work on and the certificate of that version, if any (one per version),
# and ASSIGNED.
LEARNERS_TRAINING = (
    select(
        _progress.c.module_id,
        _progress.c.status,
        _progress.c.percent,
        _progress.c.state,
        _progress.c.completed_at,
        _progress.c.updated_at,
        _modules.c.slug,
        _versions.c.id.label("version_id"),
        _versions.c.content_hash,
        _certificates.c.id.label("certificate_id"),
        _certificates.c.completed_on,
        _certificates.c.revoked_at,
        ASSIGNED.label("assigned"),
    )
    .join(_modules, _modules.c.id == _progress.c.module_id)
    .join(_versions, _versions.c.id == _progress.c.module_version_id)
    .outerjoin(
        _certificates,
        and_(
            _certificates.c.user_id == _progress.c.user_id,
            _certificates.c.module_version_id == _progress.c.module_version_id,
        ),
    )
    .where(_progress.c.user_id == bindparam("user_id"))
    .order_by(_progress.c.updated_at.desc())
)


def learners_training(user_id: int) -> list:
    """The rows of LEARNERS_TRAINING (module_id, status, percent, state, completed_at,
    updated_at, slug, version_id, content_hash, certificate_id, completed_on, revoked_at,
    assigned)."""
    return _read(LEARNERS_TRAINING, user_id)


def _read(statement, user_id: int) -> list:
    # A page's reads: on the connection kept for them, as plain_statements reads (on
    # PostgreSQL, the session's connection would add a ping, BEGIN and ROLLBACK).
    connection = plain_statements.reading_connection(db.session)
    return plain_statements.rows(connection, statement, {"user_id": user_id})


def held_certificate(row) -> HeldCertificate | None:
    """The certificate of the version a row of learners_training works on, if any."""
    if row.certificate_id is None:
        return None
    return HeldCertificate(row.certificate_id, row.completed_on, row.revoked_at)


def assignment_title(assignment) -> dict:
    version = assignment.pinned_version or assignment.module.latest_version
    return content_of(version).meta.title


def assigned_training(user_id: int, progress_rows, dates: "ReaderDates") -> list[AssignedModule]:
    """Every module the learner's cohorts assign, with due dates and progress (overdue in the
    reader's time zone); one query, none when the rows of learners_training say there is
    nothing assigned."""
    if progress_rows and not progress_rows[0].assigned:
        return []
    rows = _read(LEARNER_ASSIGNMENTS, user_id)  # learner_assignments's statement
    if not rows:  # most learners: no date to convert
        return []
    today = dates.local(utcnow()).date()
    by_module = {p.module_id: p for p in progress_rows}
    return assigned_modules(rows, by_module, today, title_of_row)


def title_of_row(row) -> dict:
    return content_of_id(row.version_id, row.content_hash).meta.title
