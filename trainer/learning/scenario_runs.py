"""Scenario runs in the database: start one, apply an act once, list runs. Services flush;
the view commits."""

import hmac
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

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


def object_id(progress: Progress, scenario_id: str) -> str:
    return f"{progress.module.slug}/scenario/{scenario_id}"


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
    record(progress, Verb.INITIALIZED, object_id(progress, scenario.id), result)
    return run


def take_act(
    run: ScenarioRun,
    progress: Progress,
    scenario: Scenario,
    at_step: int,
    choice: str | None,
    ruling: Mapping[str, str],
) -> bool:
    """Apply one act made at step `at_step`. False when the run has moved on already (a
    double submit or a stale page): nothing changes. Raises ScenarioError for a tampered act."""
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
    # Conditional on the step count: of two identical submissions only one matches.
    statement = END_RUN if ended else MOVE_RUN
    params = {f"new_{name}": value for name, value in changes.items()}
    applied = (
        db.session.connection()
        .execute(statement, {**params, "run_id": run.id, "at_step": at_step})
        .rowcount
    )
    if applied != 1:
        return False
    for name, value in changes.items():  # the row has them already: no second UPDATE
        set_committed_value(run, name, value)
    _record_act(progress, run, outcome.step, ended)
    return True


_runs = ScenarioRun.__table__
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


def _record_act(progress: Progress, run: ScenarioRun, step: dict, ended: bool) -> None:
    if step["kind"] != "narrative":
        result = {"run": run.number, "scores": step["scores"]}
        result |= {"choice": step["choice"]} if step["kind"] == "choice" else {}
        result |= {"values": step["values"]} if step["kind"] == "ruling" else {}
        where = f"{object_id(progress, run.scenario_id)}/{step['node']}"
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
