"""Runs of a case scenario: one learner's play-through, pinned to a module version."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.content import ModuleVersion
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import User, enum_column


class RunStatus(enum.StrEnum):
    OPEN = "open"
    FINISHED = "finished"


class ScenarioRun(db.Model):
    """Where a run stands: its node, variables, path and scores. `steps` counts the acts so
    far; an act applies only while it is unchanged, so a double-submitted form applies once."""

    __tablename__ = "scenario_runs"
    __table_args__ = (
        UniqueConstraint("user_id", "module_version_id", "scenario_id", "number"),
        Index("ix_scenario_runs_version_scenario", "module_version_id", "scenario_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    scenario_id: Mapped[str] = mapped_column(String(63))
    number: Mapped[int]  # 1, 2 ... per learner, version and scenario
    node_id: Mapped[str] = mapped_column(String(63))
    state: Mapped[dict] = mapped_column(JSON, default=dict)  # variable id -> value
    path: Mapped[list] = mapped_column(JSON, default=list)  # steps, see learning/scenarios.py
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # dimension id -> points
    steps: Mapped[int] = mapped_column(default=0)
    status: Mapped[RunStatus] = mapped_column(
        enum_column(RunStatus, "run_status"), default=RunStatus.OPEN
    )
    percent: Mapped[int | None]  # set when the run reaches an ending
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    version: Mapped[ModuleVersion] = relationship()

    @property
    def finished(self) -> bool:
        return self.status == RunStatus.FINISHED


class ScenarioPairing(db.Model):
    """A trainer's link, in a cohort, from a learner (the importer, e.g. a judge) to another
    member's finished run (e.g. an officer's): the learner's new runs of a scenario that
    imports from that run's scenario take its final variables instead of their own run's.
    The latest pairing of a learner for a source scenario counts."""

    __tablename__ = "scenario_pairings"
    __table_args__ = (Index("ix_scenario_pairings_importer", "importer_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    importer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source_run_id: Mapped[int] = mapped_column(ForeignKey("scenario_runs.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    importer: Mapped[User] = relationship(foreign_keys=[importer_id])
    source_run: Mapped[ScenarioRun] = relationship()
    cohort: Mapped["Cohort"] = relationship()  # noqa: F821
