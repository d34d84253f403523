"""Linked scenarios in the database: the run a new run imports its variables from, and the
trainer's pairings of a learner (a judge) with another member's run (an officer's).

A run of a scenario with `imports` starts with the imported variables taken from, in order:
the latest pairing of the learner in a cohort where both are current members, whose run is a
finished run of the source scenario on the same module version; else the learner's own latest
finished run of it on that version; else the declared defaults. The values are frozen in the
run's state (no choice may change them). Services flush; the view commits.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select

from trainer.content.scenario_graph import start_variables
from trainer.content.schema import Scenario
from trainer.extensions import db
from trainer.models import CohortMember, ModuleVersion, RunStatus, ScenarioRun, User
from trainer.models.scenarios import ScenarioPairing
from trainer.models.types import utcnow


@dataclass(frozen=True)
class StartState:
    variables: dict
    source: ScenarioRun | None  # the run imported from; None: the defaults
    paired: bool = False


def start_state(user_id: int, version_id: int, scenario: Scenario) -> StartState:
    """The variables a new run of `scenario` by this learner on this version starts with."""
    if scenario.imports is None:
        return StartState(start_variables(scenario), None)
    source_id = scenario.imports.scenario_id
    paired = paired_run(user_id, version_id, source_id)
    run = paired or own_latest_run(user_id, version_id, source_id)
    imported = run.state if run is not None else {}
    return StartState(start_variables(scenario, imported), run, paired is not None)


def own_latest_run(user_id: int, version_id: int, source_id: str) -> ScenarioRun | None:
    return db.session.scalar(
        select(ScenarioRun)
        .where(
            ScenarioRun.user_id == user_id,
            ScenarioRun.module_version_id == version_id,
            ScenarioRun.scenario_id == source_id,
            ScenarioRun.status == RunStatus.FINISHED,
        )
        .order_by(ScenarioRun.finished_at.desc(), ScenarioRun.id.desc())
        .limit(1)
    )


def _member(cohort_id, user_id):
    return exists().where(
        CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id, CohortMember.counts()
    )


def paired_run(user_id: int, version_id: int, source_id: str) -> ScenarioRun | None:
    """The run of the learner's latest pairing that fits: a finished run of the source on the
    same version, both people still current members of the pairing's cohort."""
    return db.session.scalar(
        select(ScenarioRun)
        .join(ScenarioPairing, ScenarioPairing.source_run_id == ScenarioRun.id)
        .where(
            ScenarioPairing.importer_id == user_id,
            ScenarioRun.scenario_id == source_id,
            ScenarioRun.module_version_id == version_id,
            ScenarioRun.status == RunStatus.FINISHED,
            _member(ScenarioPairing.cohort_id, ScenarioPairing.importer_id),
            _member(ScenarioPairing.cohort_id, ScenarioRun.user_id),
        )
        .order_by(ScenarioPairing.created_at.desc(), ScenarioPairing.id.desc())
        .limit(1)
    )


# Pairing ---------------------------------------------------------------------------------


class PairingError(Exception):
    """A pairing the rules refuse; `code` names why: not-importing, not-a-member,
    not-the-source, not-finished."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def members(cohort_id: int) -> list[User]:
    """The cohort's current, accepted members, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort_id, CohortMember.counts())
            .order_by(User.name, User.id)
        )
    )


def source_runs(cohort_id: int, module_id: int, source_id: str) -> list[ScenarioRun]:
    """The finished runs of the source scenario (any version of the module) by the cohort's
    current members, newest first: the runs a trainer may pair with."""
    return list(
        db.session.scalars(
            select(ScenarioRun)
            .join(ModuleVersion, ModuleVersion.id == ScenarioRun.module_version_id)
            .where(
                ModuleVersion.module_id == module_id,
                ScenarioRun.scenario_id == source_id,
                ScenarioRun.status == RunStatus.FINISHED,
                _member(cohort_id, ScenarioRun.user_id),
            )
            .order_by(ScenarioRun.finished_at.desc(), ScenarioRun.id.desc())
        )
    )


def pairings(cohort_id: int, module_id: int, source_id: str) -> list[ScenarioPairing]:
    """The cohort's pairings with runs of the source scenario, newest first."""
    return list(
        db.session.scalars(
            select(ScenarioPairing)
            .join(ScenarioRun, ScenarioRun.id == ScenarioPairing.source_run_id)
            .join(ModuleVersion, ModuleVersion.id == ScenarioRun.module_version_id)
            .where(
                ScenarioPairing.cohort_id == cohort_id,
                ModuleVersion.module_id == module_id,
                ScenarioRun.scenario_id == source_id,
            )
            .order_by(ScenarioPairing.created_at.desc(), ScenarioPairing.id.desc())
        )
    )


def pair(
    cohort_id: int, module_id: int, scenario: Scenario, importer_id: int, run_id: int, by: User
) -> ScenarioPairing:
    """Pair a member's future runs of `scenario` with another member's finished run of its
    source. Raises PairingError."""
    if scenario.imports is None:
        raise PairingError("not-importing")
    if not _is_member(cohort_id, importer_id):
        raise PairingError("not-a-member")
    run = db.session.get(ScenarioRun, run_id)
    if (
        run is None
        or run.scenario_id != scenario.imports.scenario_id
        or run.version.module_id != module_id
    ):
        raise PairingError("not-the-source")
    if not _is_member(cohort_id, run.user_id):
        raise PairingError("not-a-member")
    if not run.finished:
        raise PairingError("not-finished")
    pairing = ScenarioPairing(
        cohort_id=cohort_id,
        importer_id=importer_id,
        source_run_id=run.id,
        created_by_id=by.id,
        created_at=utcnow(),
    )
    db.session.add(pairing)
    db.session.flush()
    return pairing


def _is_member(cohort_id: int, user_id: int) -> bool:
    return bool(db.session.scalar(select(_member(cohort_id, user_id))))


def unpair(pairing: ScenarioPairing) -> None:
    db.session.delete(pairing)
    db.session.flush()
