"""Scenario runs in the database: start one, apply an act once, list runs. Services flush;
the view commits."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from trainer import plain_statements
from trainer.content.schema import Choice, DecisionNode, RulingNode, RulingOption, Scenario
from trainer.extensions import db
from trainer.learning import scenarios as engine
from trainer.learning.progress import lock, record, record_at_once, record_scenario_result
from trainer.learning.scenario_imports import start_state
from trainer.models import (
    CohortMember,
    Module,
    ModuleVersion,
    Progress,
    RunStatus,
    ScenarioRun,
    User,
    Verb,
)
from trainer.models.types import utcnow


def object_id(slug: str, scenario_id: str) -> str:
    return f"{slug}/scenario/{scenario_id}"


# A choice reads in one statement, columns only ---------------------------------------------
#
# The module (with its latest version's hash), the learner's progress in it and the run (with
# its version's module and hash): loading them as ORM instances cost 0.9M instructions per
# choice under callgrind, these columns 0.3M. The act writes with Core statements anyway.

RUN_COLUMNS = (
    "id", "user_id", "module_version_id", "scenario_id", "number", "node_id",
    "state", "path", "scores", "steps", "status", "percent",
)  # fmt: skip
PROGRESS_COLUMNS = ("id", "user_id", "module_version_id", "row_version")


@dataclass
class RunRow:
    """A run as a choice reads it: the columns an act reads and changes."""

    id: int
    user_id: int
    module_version_id: int
    scenario_id: str
    number: int
    node_id: str
    state: dict
    path: list
    scores: dict
    steps: int
    status: RunStatus
    percent: int | None

    @property
    def finished(self) -> bool:
        return self.status == RunStatus.FINISHED


@dataclass
class ProgressRow:
    """The learner's progress as a choice reads it: what its event and its version bump need
    (trainer/learning/progress.py record_at_once)."""

    id: int
    user_id: int
    module_version_id: int
    row_version: int
    slug: str  # the module's
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ChoiceRead:
    module_id: int
    slug: str
    latest_version_id: int
    latest_hash: str
    progress: ProgressRow | None
    run: RunRow | None
    run_module_id: int | None  # the run's version's
    run_hash: str | None


_modules, _progress, _runs = Module.__table__, Progress.__table__, ScenarioRun.__table__
_latest = ModuleVersion.__table__.alias("latest")
_run_version = ModuleVersion.__table__.alias("run_version")
CHOICE_READ = (
    select(
        _modules.c.id,
        _modules.c.slug,
        _latest.c.id,
        _latest.c.content_hash,
        _run_version.c.module_id,
        _run_version.c.content_hash,
        *(_progress.c[name] for name in PROGRESS_COLUMNS),
        *(_runs.c[name] for name in RUN_COLUMNS),
    )
    .select_from(_modules)
    .join(_latest, _latest.c.id == _modules.c.latest_version_id)
    .outerjoin(
        _progress,
        and_(_progress.c.module_id == _modules.c.id, _progress.c.user_id == bindparam("user_id")),
    )
    .outerjoin(_runs, _runs.c.id == bindparam("run_id"))
    .outerjoin(_run_version, _run_version.c.id == _runs.c.module_version_id)
    .where(_modules.c.slug == bindparam("slug"))
)  # built once: every choice runs it
_RUN_AT = 6 + len(PROGRESS_COLUMNS)  # where the run's columns start in a row


def read_choice(slug: str, user_id: int, run_id: int) -> ChoiceRead | None:
    """What a choice needs, in one statement; None for no synced module of that slug."""
    found = plain_statements.rows(
        db.session.connection(), CHOICE_READ, {"slug": slug, "user_id": user_id, "run_id": run_id}
    )
    if not found:
        return None
    row = found[0]
    module_id, slug, latest_id, latest_hash, run_module_id, run_hash = row[:6]
    progress = row[6:_RUN_AT]
    run = row[_RUN_AT:]
    return ChoiceRead(
        module_id,
        slug,
        latest_id,
        latest_hash,
        ProgressRow(*progress, slug=slug) if progress[0] is not None else None,
        RunRow(*run) if run[0] is not None else None,
        run_module_id,
        run_hash,
    )


# Ending a run changes the progress's state and completion: the ORM writes it, read with what
# completion reads (its module's slug, its version's content) before the run's row is written.
PROGRESS_TO_COMPLETE = (
    select(Progress)
    .where(Progress.id == bindparam("progress_id"))
    .options(joinedload(Progress.module), joinedload(Progress.version))
)


def start_run(progress: Progress, scenario: Scenario) -> ScenarioRun:
    """A new run on the learner's pinned version, numbered after their earlier runs. A
    scenario with `imports` starts with the imported variables frozen in the run's state
    (trainer/learning/scenario_imports.py); the event names the run they came from."""
    lock(progress)
    start = start_state(progress.user_id, progress.module_version_id, scenario)
    last = db.session.scalar(
        select(func.max(ScenarioRun.number)).where(
            ScenarioRun.user_id == progress.user_id,
            ScenarioRun.module_version_id == progress.module_version_id,
            ScenarioRun.scenario_id == scenario.id,
        )
    )
    run = ScenarioRun(
        user_id=progress.user_id,
        module_version_id=progress.module_version_id,
        scenario_id=scenario.id,
        number=(last or 0) + 1,
        node_id=scenario.start,
        state=start.variables,
        path=[],
        scores={},
        steps=0,
        status=RunStatus.OPEN,
    )
    db.session.add(run)
    db.session.flush()
    result = {"run": run.number}
    if scenario.imports is not None:
        result |= {"imported_from": start.source.id if start.source else None}
        result |= {"paired": start.paired}
    record(progress, Verb.INITIALIZED, object_id(progress.module.slug, scenario.id), result)
    return run


def take_act(
    run: ScenarioRun | RunRow,
    progress: Progress | ProgressRow,
    scenario: Scenario,
    at_step: int,
    choice: str | None,
    ruling: Mapping[str, str],
) -> bool:
    """Apply one act made at step `at_step`. False when the run has moved on already (a
    double submit or a stale page): nothing changes. Raises ScenarioError for a tampered act.
    The run and the progress are ORM rows, or their columns as read_choice read them."""
    if run.finished or run.steps != at_step:
        return False
    outcome = engine.act(scenario, run.node_id, run.state, choice, ruling, run.path)
    ended = engine.is_ending(engine.node_of(scenario, outcome.next_node))
    path = [*run.path, outcome.step]
    changes = {
        "node_id": outcome.next_node,
        "state": outcome.variables,
        "path": path,
        "scores": engine.path_scores(path),
        "steps": at_step + 1,
    }
    if ended:
        expert = engine.path_scores(
            engine.expert_path(scenario, engine.run_start(scenario, run.state))
        )
        changes |= {
            "status": RunStatus.FINISHED,
            "percent": engine.percent(changes["scores"], expert),
            "finished_at": utcnow(),
        }
    if ended and isinstance(progress, ProgressRow):
        progress = db.session.scalar(PROGRESS_TO_COMPLETE, {"progress_id": progress.id})
    # Conditional on the step count: of two identical submissions only one matches.
    statement = END_RUN if ended else MOVE_RUN
    params = {f"new_{name}": value for name, value in changes.items()}
    applied = plain_statements.written(
        db.session.connection(), statement, {**params, "run_id": run.id, "at_step": at_step}
    )
    if applied != 1:
        return False
    for name, value in changes.items():  # the row has them already: no second UPDATE
        if isinstance(run, RunRow):
            setattr(run, name, value)
        else:
            set_committed_value(run, name, value)
    _record_act(progress, run, outcome.step, ended)
    return True


_MOVED = ("node_id", "state", "path", "scores", "steps")


def _run_update(columns: tuple[str, ...]):
    """An act's UPDATE of a run, built once: `new_<column>` for each column changed."""
    return (
        update(_runs)
        .where(
            _runs.c.id == bindparam("run_id"),
            _runs.c.steps == bindparam("at_step"),
            _runs.c.status == RunStatus.OPEN,
        )
        .values({name: bindparam(f"new_{name}", type_=_runs.c[name].type) for name in columns})
    )


MOVE_RUN = _run_update(_MOVED)
END_RUN = _run_update((*_MOVED, "status", "percent", "finished_at"))


# The order a run shows its choices ---------------------------------------------------------


def order_keys(run: ScenarioRun, node_id: str, part: str = "") -> list[bytes]:
    """One secret key per run of this learner, version and scenario, up to this run: the
    order is frozen with the run (a reload shows it again) and differs from the run before.
    Nothing is stored: the keys come from the app's secret key, so the page cannot tell."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    base = f"scenario-order:{run.user_id}:{run.module_version_id}:{run.scenario_id}"
    return [
        hmac.new(secret, f"{base}:{number}:{node_id}:{part}".encode(), "sha256").digest()
        for number in range(1, run.number + 1)
    ]


def shown_choices(run: ScenarioRun, node: DecisionNode) -> list[Choice]:
    return engine.shown_choices(node, run.state, order_keys(run, node.id))


def shown_options(run: ScenarioRun, node: RulingNode) -> dict[str, list[RulingOption]]:
    return engine.shown_options(node, lambda field_id: order_keys(run, node.id, field_id))


def _record_act(progress, run, step: dict, ended: bool) -> None:
    if step["kind"] != "narrative":
        result = {"run": run.number, "scores": step["scores"]}
        result |= {"choice": step["choice"]} if step["kind"] == "choice" else {}
        result |= {"values": step["values"]} if step["kind"] == "ruling" else {}
        slug = progress.slug if isinstance(progress, ProgressRow) else progress.module.slug
        where = f"{object_id(slug, run.scenario_id)}/{step['node']}"
        if ended:  # the progress changes below: the ORM writes it with the event
            record(progress, Verb.CHOSE, where, result)
        else:
            record_at_once(progress, Verb.CHOSE, where, result)
    if ended:
        record_scenario_result(progress, run.scenario_id, run.percent)


def runs_query(user: User, module: Module, scenario_id: str) -> Select:
    """The learner's runs of a scenario on every version of the module, oldest first."""
    return (
        select(ScenarioRun)
        .join(ModuleVersion, ModuleVersion.id == ScenarioRun.module_version_id)
        .where(
            ScenarioRun.user_id == user.id,
            ModuleVersion.module_id == module.id,
            ScenarioRun.scenario_id == scenario_id,
        )
        .order_by(ScenarioRun.started_at, ScenarioRun.id)
    )


def runs_of(user: User, module: Module, scenario_id: str) -> list[ScenarioRun]:
    return list(db.session.scalars(runs_query(user, module, scenario_id)))


def cohort_paths(cohort_id: int, module: Module, scenario_id: str, first_only: bool) -> list[list]:
    """The paths of the runs the cohort's current (accepted) members played to an ending (the
    runs whose scores the dashboard shows), in one query. With `first_only`, each member's
    first such run: what they did before seeing any debrief."""
    members = select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort_id, CohortMember.counts()
    )
    rows = db.session.execute(
        select(ScenarioRun.user_id, ScenarioRun.path)
        .join(ModuleVersion, ModuleVersion.id == ScenarioRun.module_version_id)
        .where(
            ModuleVersion.module_id == module.id,
            ScenarioRun.scenario_id == scenario_id,
            ScenarioRun.user_id.in_(members),
            ScenarioRun.status == RunStatus.FINISHED,
        )
        .order_by(ScenarioRun.started_at, ScenarioRun.id)
    ).all()
    if not first_only:
        return [path for _user, path in rows]
    first: dict[int, list] = {}
    for user_id, path in rows:
        first.setdefault(user_id, path)
    return list(first.values())
