"""Quiz attempts and their answers.

An attempt freezes what the learner sees (the drawn questions, their order, the order of
options) when it starts. Its `state` moves one way only: open -> awaiting_review -> graded, or
open -> graded. Every move is a conditional UPDATE (`... WHERE state = <expected>`) whose row
count decides which request does the grading, so a double click, a second tab or a replayed POST
grades once; CHECK constraints keep the columns consistent with the state.
"""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.content import Module, ModuleVersion
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import User, enum_column


class AttemptState(enum.StrEnum):
    OPEN = "open"
    AWAITING_REVIEW = "awaiting_review"  # essays wait for a trainer
    GRADED = "graded"


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_version_id", "quiz_id", "number"),
        # At most one open attempt per learner and quiz: two tabs pressing Start share one.
        Index(
            "uq_quiz_attempts_one_open",
            "user_id",
            "module_version_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        CheckConstraint("(state = 'open') = (submitted_at IS NULL)", name="submitted_unless_open"),
        CheckConstraint(
            "state <> 'graded' OR (percent IS NOT NULL AND passed IS NOT NULL)",
            name="graded_has_score",
        ),
        Index("ix_quiz_attempts_state_submitted", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    quiz_id: Mapped[str] = mapped_column(String(63))
    number: Mapped[int]  # 1, 2, ... per learner, version and quiz
    state: Mapped[AttemptState] = mapped_column(
        enum_column(AttemptState, "attempt_state"), default=AttemptState.OPEN
    )
    # Frozen at start: [{"id": question id, "order": [option/item/pair ids] or null}, ...]
    questions: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired: Mapped[bool] = mapped_column(default=False)  # submitted by the time limit
    score: Mapped[float | None]  # points earned (so far, while essays wait)
    max_score: Mapped[float | None]
    percent: Mapped[float | None]
    passed: Mapped[bool | None]

    user: Mapped[User] = relationship()
    module: Mapped[Module] = relationship()
    version: Mapped[ModuleVersion] = relationship()
    answers: Mapped[list["QuizAnswer"]] = relationship(
        back_populates="attempt", order_by="QuizAnswer.id"
    )

    @property
    def question_ids(self) -> list[str]:
        return [entry["id"] for entry in self.questions]

    def layout(self, question_id: str) -> list[str] | None:
        return next(e["order"] for e in self.questions if e["id"] == question_id)


class QuizAnswer(db.Model):
    """The learner's answer to one question of an attempt, saved as it is given."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"))
    question_id: Mapped[str] = mapped_column(String(63))
    response: Mapped[object] = mapped_column(JSON)  # shape depends on the question type
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    points: Mapped[float | None]  # set when graded
    # Essays: the trainer's review.
    comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Bumped by every change; a page sends the revision it showed, and a save from a page
    # older than the stored answer is refused (trainer/learning/attempts.py).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
    reviewed_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": revision}
