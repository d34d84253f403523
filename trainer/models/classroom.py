"""Classroom mode: a trainer runs a scenario live with a room that votes from phones.

The room's run lives in the session row (node, variables, path: the shapes of a ScenarioRun);
each participant's vote at each step is a row of its own. The state machine is in
trainer/learning/classroom.py.
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.cohorts import Cohort
from trainer.models.content import ModuleVersion
from trainer.models.scenarios import ScenarioRun
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import Profession, User, enum_column
from trainer.submissions import TOKEN_MAX


class SessionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # an ending was reached, the trainer ended it, or it stayed idle too long


class Phase(enum.StrEnum):
    """Where the vote at the current node stands."""

    VOTING = "voting"  # votes are accepted and may be changed
    CLOSED = "closed"  # no more votes; the counts are not shown to the room yet
    REVEALED = "revealed"  # the room sees the distribution and each choice's feedback


class ClassSession(db.Model):
    __tablename__ = "class_sessions"
    __table_args__ = (Index("ix_class_sessions_cohort", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # Crockford base32
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    scenario_id: Mapped[str] = mapped_column(String(63))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    allow_guests: Mapped[bool] = mapped_column(default=False)
    # The trainer's "count this session toward the participants' progress"; when the room
    # reaches an ending, counted_at says the runs were recorded (once: ending twice records once).
    counts_progress: Mapped[bool] = mapped_column(default=False, server_default=false())
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "class_status"), default=SessionStatus.OPEN
    )
    phase: Mapped[Phase] = mapped_column(enum_column(Phase, "class_phase"), default=Phase.VOTING)
    node_id: Mapped[str] = mapped_column(String(63))
    state: Mapped[dict] = mapped_column(JSON, default=dict)  # the room's variables
    # The room's steps (learning/scenarios.py), each with "by": "majority" | "trainer".
    path: Mapped[list] = mapped_column(JSON, default=list)
    steps: Mapped[int] = mapped_column(default=0)  # acts so far: the current step's number
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change of the row: of two trainer clicks at once one fails and runs again
    # (trainer/transactions.py); the status endpoint's ETag.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The token of the start form: sent again, it finds this session (trainer/submissions.py).
    submission_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX), unique=True)

    version: Mapped[ModuleVersion] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    trainer: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def open(self) -> bool:
        return self.status == SessionStatus.OPEN


class ClassParticipant(db.Model):
    """Someone in the room: a signed-in user, or a named guest known by a token in their
    browser's session (only its hash is stored)."""

    __tablename__ = "class_participants"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    guest_name: Mapped[str | None] = mapped_column(String(80))
    guest_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    profession: Mapped[Profession] = mapped_column(enum_column(Profession, "profession"))
    language: Mapped[str] = mapped_column(String(8))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The finished scenario run a counting session recorded for this participant (its path and
    # score are the room's): the mark that the run was played in class.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_runs.id"))

    user: Mapped[User | None] = relationship()
    run: Mapped[ScenarioRun | None] = relationship()

    @property
    def name(self) -> str:
        return self.user.name if self.user is not None else self.guest_name or ""


class ClassVote(db.Model):
    """A participant's vote at one step: a choice id, or the ruling's values. Changed in place
    (the revision counts the changes) until the vote closes; one row per step."""

    __tablename__ = "class_votes"
    __table_args__ = (UniqueConstraint("session_id", "participant_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("class_participants.id"))
    step: Mapped[int]
    node_id: Mapped[str] = mapped_column(String(63))
    choice_id: Mapped[str | None] = mapped_column(String(63))
    values: Mapped[dict | None] = mapped_column(JSON)  # ruling field id -> option id or number
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[ClassParticipant] = relationship()
