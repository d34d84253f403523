"""The record of learning: append-only events, and a progress row derived from them."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.content import Module, ModuleVersion
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import User, enum_column


class Verb(enum.StrEnum):
    """xAPI verbs (http://adlnet.gov/expapi/verbs/...)."""

    EXPERIENCED = "experienced"
    COMPLETED = "completed"
    ANSWERED = "answered"
    ATTEMPTED = "attempted"
    PASSED = "passed"
    FAILED = "failed"
    CHOSE = "chose"
    INITIALIZED = "initialized"
    EARNED = "earned"  # a certificate was issued
    VOTED = "voted"  # a vote in a live class session (trainer/learning/classroom.py)


# The condition of the quiz results' partial index, written alike in the queries that read it:
# SQLite uses a partial index only for a query with the same condition, values in literal form.
QUIZ_RESULTS = "verb IN ('passed', 'failed')"


class LearningEvent(db.Model):
    """One meaningful act, shaped like an xAPI statement; rows are only ever added."""

    __tablename__ = "learning_events"
    __table_args__ = (
        Index("ix_learning_events_user_version", "user_id", "module_version_id"),
        # Quiz results only (a few percent of the rows): the dashboard's "failed a quiz twice"
        # reads them for every member of a cohort, from this index alone (it covers the verb).
        Index(
            "ix_learning_events_quiz_results",
            "user_id",
            "module_version_id",
            "object_id",
            "verb",
            postgresql_where=text(QUIZ_RESULTS),
            sqlite_where=text(QUIZ_RESULTS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verb: Mapped[Verb] = mapped_column(enum_column(Verb, "verb"))
    object_id: Mapped[str] = mapped_column(String(255))  # e.g. "harmony-police/lesson/intro"
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Status(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Progress(db.Model):
    """Where one learner stands in one module, kept in step with the events."""

    __tablename__ = "progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        # Covers the dashboard's join of members to their progress in the assigned modules
        # (an index-only scan; on SQLite the id is the rowid, in every index already), and
        # its change stamp's sum of each member's row versions (dashboard_stamp.py).
        Index(
            "ix_progress_user_module_status",
            "user_id",
            "module_id",
            "status",
            "row_version",
            postgresql_include=["id"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    status: Mapped[Status] = mapped_column(
        enum_column(Status, "status"), default=Status.IN_PROGRESS
    )
    percent: Mapped[int] = mapped_column(default=0)
    # What is done so far; the shape is documented in trainer/learning/completion.py.
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    last_position: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every update, which matches only the version it read: of two requests that
    # change one learner's progress at once, the later fails and runs again (transactions.py).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    user: Mapped[User] = relationship()
    module: Mapped[Module] = relationship()
    version: Mapped[ModuleVersion] = relationship()

    __mapper_args__ = {"version_id_col": row_version}
