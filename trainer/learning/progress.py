"""Recording learning: every act appends an event and updates Progress in the same flush."""

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from trainer import plain_statements
from trainer.extensions import db
from trainer.learning.cohort_queries import pinned_version_id
from trainer.learning.completion import is_complete, percent_done
from trainer.learning.content import content_of
from trainer.models import LearningEvent, Module, ModuleVersion, Progress, Status, User, Verb
from trainer.models.types import utcnow

PROGRESS_OF = select(Progress).where(
    Progress.user_id == bindparam("user_id"), Progress.module_id == bindparam("module_id")
)  # built once: pages and saves run it on every request


def find_progress(user: User, module: Module) -> Progress | None:
    return db.session.scalar(PROGRESS_OF, {"user_id": user.id, "module_id": module.id})


def start(user: User, module: Module, version_id: int | None = None) -> Progress:
    """The learner's progress, created the first time on `version_id`, by default on the
    version a cohort assignment of the learner pins, else on the latest."""
    progress = find_progress(user, module)
    if progress is None:
        progress = Progress(
            user_id=user.id,
            module_id=module.id,
            module_version_id=version_id or starting_version_id(user.id, module),
            state={},
            status=Status.IN_PROGRESS,
        )
        progress.module = module
        db.session.add(progress)
        db.session.flush()
        record(progress, Verb.INITIALIZED, module.slug)
    return progress


def lock(progress: Progress) -> Progress:
    """Hold the learner's progress row until commit, so that acts that number their records
    (a new scenario run, a new quiz attempt) queue up behind each other instead of colliding.
    PostgreSQL locks the row; SQLite has one writer at a time anyway."""
    return db.session.scalar(
        select(Progress)
        .where(Progress.id == progress.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def starting_version_id(user_id: int, module: Module) -> int:
    """Where the learner starts: the version their cohort pins, else the latest."""
    return pinned_version_id(user_id, module.id) or module.latest_version_id


def starting_version(user: User, module: Module) -> ModuleVersion:
    return db.session.get(ModuleVersion, starting_version_id(user.id, module))


def restart(progress: Progress) -> Progress:
    """Start again on the newest (or cohort-pinned) version; the earlier run's events stay."""
    progress.module_version_id = starting_version_id(progress.user_id, progress.module)
    progress.state = {}
    progress.percent = 0
    progress.status = Status.IN_PROGRESS
    progress.completed_at = None
    progress.last_position = None
    progress.started_at = utcnow()
    db.session.flush()
    record(progress, Verb.INITIALIZED, progress.module.slug, {"restart": True})
    return progress


def record(progress: Progress, verb: Verb, object_id: str, result: dict | None = None):
    event = LearningEvent(
        user_id=progress.user_id,
        verb=verb,
        object_id=object_id,
        module_version_id=progress.module_version_id,
        result=result,
    )
    db.session.add(event)
    progress.updated_at = utcnow()
    return event


_events, _progress = LearningEvent.__table__, Progress.__table__
INSERT_EVENT = plain_statements.insert_values(
    _events, "user_id", "verb", "object_id", "module_version_id", "result", "created_at"
)
# Bumps the row's version and matches only the version read, as the ORM's update would.
TOUCH_PROGRESS = (
    update(_progress)
    .where(_progress.c.id == bindparam("progress_id"), _progress.c.row_version == bindparam("read"))
    .values(
        updated_at=bindparam("now", type_=_progress.c.updated_at.type),
        row_version=_progress.c.row_version + 1,
    )
)  # built once, like INSERT_EVENT: every scenario choice runs them


def record_at_once(progress, verb: Verb, object_id: str, result: dict | None = None):
    """record(), written now in two plain statements, for a progress with no other change
    pending (a choice in a scenario run): the ORM's flush of the event and the progress cost
    more than the rest of the act. `progress` is the ORM row or its columns as a scenario
    choice reads them (id, user_id, module_version_id, row_version: scenario_runs.ProgressRow).
    Another change to the progress since it was read makes the update match no row
    (StaleDataError): the view runs again (trainer/transactions.py)."""
    orm = isinstance(progress, Progress)
    state = inspect(progress) if orm else None
    if state is not None and (state.modified or not state.persistent):
        record(progress, verb, object_id, result)
        return
    now, connection = utcnow(), db.session.connection()
    event = {"user_id": progress.user_id, "verb": verb, "object_id": object_id}
    event |= {"module_version_id": progress.module_version_id, "result": result}
    plain_statements.written(connection, INSERT_EVENT, {**event, "created_at": now})
    read = progress.row_version
    touched = plain_statements.written(
        connection, TOUCH_PROGRESS, {"progress_id": progress.id, "read": read, "now": now}
    )
    if touched != 1:
        raise StaleDataError("progress: the row changed since it was read")
    if orm:
        set_committed_value(progress, "updated_at", now)
        set_committed_value(progress, "row_version", read + 1)
    else:
        progress.updated_at, progress.row_version = now, read + 1


def view_lesson(progress: Progress, lesson_id: str) -> None:
    """Remember where the learner is; the first view of a lesson is an 'experienced' event."""
    position = f"lesson:{lesson_id}"
    if progress.last_position != position:
        progress.last_position = position
    viewed = progress.state.get("viewed", [])
    if lesson_id not in viewed:
        _update_state(progress, viewed=[*viewed, lesson_id])
        record(progress, Verb.EXPERIENCED, f"{progress.module.slug}/lesson/{lesson_id}")


def complete_lesson(progress: Progress, lesson_id: str) -> None:
    done = progress.state.get("lessons", [])
    if lesson_id in done:
        return
    _update_state(progress, lessons=[*done, lesson_id])
    record(progress, Verb.COMPLETED, f"{progress.module.slug}/lesson/{lesson_id}")
    _refresh_completion(progress)


def _update_state(progress: Progress, **changes) -> None:
    # A new dict, so that SQLAlchemy sees the JSON column change.
    progress.state = {**progress.state, **changes}


def _refresh_completion(progress: Progress) -> None:
    meta = content_of(progress.version).meta
    progress.percent = percent_done(meta, progress.state)
    if progress.status != Status.COMPLETED and is_complete(meta, progress.state):
        progress.status = Status.COMPLETED
        progress.completed_at = utcnow()
        record(progress, Verb.COMPLETED, progress.module.slug, {"completion": True})
        for hook in COMPLETION_HOOKS:
            hook(progress)


def record_quiz_result(progress: Progress, quiz_id: str, percent: float, passed: bool) -> None:
    """A graded attempt: keep the best score, and whether any attempt passed."""
    previous = progress.state.get("quizzes", {}).get(quiz_id, {"best": 0, "passed": False})
    best = {"best": max(previous["best"], percent), "passed": previous["passed"] or passed}
    _update_state(progress, quizzes={**progress.state.get("quizzes", {}), quiz_id: best})
    verb = Verb.PASSED if passed else Verb.FAILED
    record(progress, verb, f"{progress.module.slug}/quiz/{quiz_id}", {"score": percent})
    _refresh_completion(progress)


def record_scenario_result(progress: Progress, scenario_id: str, percent: float) -> None:
    """A scenario played to an ending: it counts as finished; keep the best score."""
    scenarios = progress.state.get("scenarios", {})
    best = max(scenarios.get(scenario_id, {}).get("best", 0), percent)
    _update_state(progress, scenarios={**scenarios, scenario_id: {"best": best}})
    record(
        progress,
        Verb.COMPLETED,
        f"{progress.module.slug}/scenario/{scenario_id}",
        {"score": percent},
    )
    _refresh_completion(progress)


# Called with the progress row when a module is completed (certificates subscribe here).
COMPLETION_HOOKS: list = []
