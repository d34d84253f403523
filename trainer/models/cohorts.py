"""Cohorts (course groups), their trainers and members, and module assignments."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.content import Module, ModuleVersion
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import Profession, User
from trainer.submissions import TOKEN_MAX

cohort_trainers = Table(
    "cohort_trainers",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")  # region or agency
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Profession values of those it trains: its invite codes register people with one of them.
    # (Empty, as the database's default makes it, leaves the choice open.)
    professions: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: all_professions(), server_default="[]"
    )
    # The token of the form that created it: the same form sent again finds this cohort
    # (trainer/submissions.py).
    submission_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX), unique=True)

    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainers)
    members: Mapped[list["CohortMember"]] = relationship(back_populates="cohort")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="cohort")


def all_professions() -> list[str]:
    return [p.value for p in Profession]


class CohortMember(db.Model):
    """A learner in a cohort. Removing sets removed_at: their records stay.

    A membership grants the cohort's trainers authority over the learner only once accepted
    (accepted_at set). Built directly (an admin's enrolment, registering with the cohort's
    invite code, an account a trainer creates) it is accepted; a trainer enrolling an existing
    account makes it pending (accepted_at None) until its owner accepts the invitation.
    """

    __tablename__ = "cohort_members"
    # By learner: "My training", the version a cohort pins, invitations waiting.
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        Index("ix_cohort_members_user_id", "user_id"),
        # The cohort's members and whether they count, from the index alone: the dashboard's
        # change stamp reads them on every view (trainer/learning/dashboard_stamp.py).
        Index(
            "ix_cohort_members_cohort_standing", "cohort_id", "user_id", "accepted_at", "removed_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    @property
    def pending(self) -> bool:
        return self.accepted_at is None

    @classmethod
    def counts(cls):
        """The condition of a membership that counts: accepted and not removed."""
        return and_(cls.accepted_at.is_not(None), cls.removed_at.is_(None))


class Assignment(db.Model):
    """A module a cohort must take, pinned to a version or following the latest."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("cohort_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id"))
    due_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="assignments")
    module: Mapped[Module] = relationship()
    pinned_version: Mapped[ModuleVersion | None] = relationship()
