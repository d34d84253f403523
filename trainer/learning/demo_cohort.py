"""Demo cohorts with realistic progress (`flask demo --learners N`), built with bulk inserts:
hashing a password per learner would take minutes for a thousand of them, and flushing a
million events one ORM object at a time far longer.

N learners make cohorts of COHORT_SIZE (the last one smaller), COHORTS_PER_TRAINER to a
trainer, each assigned every synced module. A learner who started a module has the events the
application would have recorded on the way: the start, lessons viewed and completed, quiz
attempts with one answer event per question, the choices of each scenario run, the results
and the module's completion."""

import json
import random
import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import click
from sqlalchemy import JSON, Enum, Table, func, insert, select, text

from trainer.accounts import create_user, find_by_email
from trainer.extensions import db
from trainer.learning.cohort_queries import synced_modules
from trainer.learning.completion import is_complete, percent_done, requirements
from trainer.learning.content import ModuleContent, content_of
from trainer.learning.demo_runs import expert_scores, play_randomly
from trainer.learning.enrolment import unusable_password
from trainer.learning.quiz_draw import drawn
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    LearningEvent,
    Module,
    Profession,
    Progress,
    Role,
    RunStatus,
    ScenarioRun,
    Status,
    User,
    Verb,
)
from trainer.models.types import utcnow
from trainer.models.users import fold_for_search

# Split strings keep the name lists on one line each.
FIRST_NAMES = "Иван Мария Алексей Ольга Дмитрий Анна Сергей Елена Николай Татьяна".split()  # noqa: SIM905
LAST_NAMES = "Кузнецов Смирнов Попов Волков Соколов Лебедев Козлов Новиков Петров".split()  # noqa: SIM905
# A coordinated community response: mostly police, then judges and the other services.
PROFESSION_WEIGHTS = {
    Profession.POLICE: 50,
    Profession.JUDGE: 15,
    Profession.PROSECUTOR: 10,
    Profession.SOCIAL_WORKER: 15,
    Profession.CRISIS_CENTRE: 10,
}
COHORT_SIZE = 200
COHORTS_PER_TRAINER = 5
CHANGED_ANSWERS = 0.4  # the share of quiz answers changed once after the first autosave
NAME_PREFIX = "Демо-группа"  # how a second `flask demo --learners` run finds the first's


@dataclass(frozen=True)
class DemoModule:
    """A synced module as the generator needs it: its latest content, and a player per
    scenario (a function of rng that plays a run to an ending, or None)."""

    module: Module
    content: ModuleContent
    players: dict


def demo_modules() -> list[DemoModule]:
    return [
        DemoModule(m, content_of(m.latest_version), scenario_players(content_of(m.latest_version)))
        for m in synced_modules()
    ]


def cohort_sizes(learners: int) -> list[int]:
    """N learners in cohorts of COHORT_SIZE, the remainder in a last, smaller one."""
    full, rest = divmod(learners, COHORT_SIZE)
    return [COHORT_SIZE] * full + ([rest] if rest else [])


def create_demo_cohorts(
    learners: int, trainers: list[User], seed: int = 2026
) -> tuple[list[Cohort], Counter]:
    """cohort_sizes(learners) cohorts over every synced module, the k-th run by
    trainers[k // COHORTS_PER_TRAINER]; ([], empty) when no module is synced. Flushes; the
    caller commits. Also returns how many rows of each kind were made."""
    modules = demo_modules()
    made, cohorts = Counter(), []
    if not modules:
        return cohorts, made
    sizes = cohort_sizes(learners)
    for k, size in enumerate(sizes):
        name = f"{NAME_PREFIX} {k + 1} из {len(sizes)}"
        trainer = trainers[k // COHORTS_PER_TRAINER]
        cohort, counts = build_demo_cohort(size, trainer, seed + k, modules, name)
        cohorts.append(cohort)
        made += counts
    return cohorts, made


def create_demo_cohort(learners: int, trainer: User, seed: int = 2026) -> Cohort | None:
    """One cohort of `learners` over every synced module, run by `trainer`; None when no
    module is synced. Flushes; the caller commits."""
    modules = demo_modules()
    if not modules:
        return None
    name = f"{NAME_PREFIX} на {learners} слушателей"
    return build_demo_cohort(learners, trainer, seed, modules, name)[0]


def build_demo_cohort(
    learners: int, trainer: User, seed: int, modules: list[DemoModule], name: str
) -> tuple[Cohort, Counter]:
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    today = utcnow().date()
    cohort = Cohort(
        name=name,
        region="Тверская область",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
        trainers=[trainer],
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.execute(
        insert(Assignment),
        [
            {"cohort_id": cohort.id, "module_id": m.module.id,
             "due_on": today + timedelta(days=14 * i - 7), "created_at": utcnow()}
            for i, m in enumerate(modules)
        ],
    )  # fmt: skip
    learners_made = insert_learners(cohort.id, learners, rng)
    user_ids = [uid for uid, _profession in learners_made]
    db.session.execute(
        insert(CohortMember),
        [{"cohort_id": cohort.id, "user_id": uid, "joined_at": utcnow()} for uid in user_ids],
    )
    made = insert_progress(learners_made, modules, cohort.starts_on, rng)
    made.update(cohorts=1, learners=len(user_ids), assignments=len(modules))
    return cohort, made


def insert_learners(cohort_id: int, count: int, rng: random.Random) -> list[tuple]:
    """(id, profession) of `count` new learners, in the order made."""
    now = utcnow()
    professions = list(PROFESSION_WEIGHTS)
    weights = list(PROFESSION_WEIGHTS.values())
    rows = []
    for n in range(1, count + 1):
        name = f"{rng.choice(LAST_NAMES)} {rng.choice(FIRST_NAMES)} ({n})"
        email = f"demo-{cohort_id}-{n}@example.org"
        rows.append(
            {
                "email": email,
                "name": name,
                "password_hash": unusable_password(),
                "role": Role.LEARNER,
                "profession": rng.choices(professions, weights)[0],
                "search_key": fold_for_search(f"{name} {email}"),
                "created_at": now,
            }
        )
    returning = insert(User).returning(User.id, sort_by_parameter_order=True)
    ids = db.session.scalars(returning, rows)
    return [(uid, row["profession"]) for uid, row in zip(ids, rows, strict=True)]


def insert_progress(
    learners: list[tuple], modules: list[DemoModule], start: date, rng: random.Random
) -> Counter:
    """Progress rows, events and finished scenario runs of the learners (id, profession):
    nine in ten of those a module is written for started it (the others cannot open it);
    how many of each were inserted."""
    progress_rows, events, runs = [], [], []
    for demo in modules:
        module, meta = demo.module, demo.content.meta
        for user_id, profession in learners:
            if profession not in meta.audience or rng.random() < 0.1:
                continue  # not started
            state, scored = demo_state(requirements(meta), rng, demo.players)
            done = is_complete(meta, state)
            when = moment_between(start, rng)
            progress_rows.append(
                {
                    "user_id": user_id,
                    "module_id": module.id,
                    "module_version_id": module.latest_version_id,
                    "status": Status.COMPLETED if done else Status.IN_PROGRESS,
                    "percent": percent_done(meta, state),
                    "state": state,
                    "started_at": when - timedelta(days=1),
                    "updated_at": when,
                    "completed_at": when if done else None,
                }
            )
            trail = Trail(user_id, module, when - timedelta(days=1))
            events += trail.of(state, scored, demo.content, done, rng)
            runs += demo_runs(user_id, module, scored, when)
    for model, rows in ((Progress, progress_rows), (LearningEvent, events), (ScenarioRun, runs)):
        bulk_insert(model, rows)
    return Counter(progress=len(progress_rows), events=len(events), runs=len(runs))


def bulk_insert(model, rows: list[dict]) -> None:
    """Rows of one table in one go: COPY on PostgreSQL (psycopg would otherwise send an
    executemany as one statement per row), a plain executemany on SQLite. Every row has the
    same keys and gives every column the table needs."""
    if not rows:
        return
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        copy_rows(table, list(rows[0]), rows)
    else:
        db.session.execute(insert(table), rows)


def copy_rows(table: Table, columns: list[str], rows: list[dict]) -> None:
    """COPY the rows into the table on the session's connection (in its transaction), each
    value as the database stores it (enums by value, JSON as text)."""
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    convert = [(column, stored(table.c[column].type)) for column in columns]
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([f(row[c]) if f else row[c] for c, f in convert])


def stored(column_type):
    """How a column's values are written: enums by value, JSON as text, the rest as they
    are (None)."""
    if isinstance(column_type, Enum):
        return lambda value: value.value
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    return None


def scenario_players(content: ModuleContent) -> dict:
    """scenario id -> a function of rng that plays a run to an ending (or None)."""
    players = {}
    for ident, scenario in content.scenarios.items():
        expert = expert_scores(scenario)
        players[ident] = partial(play_randomly, scenario, expert=expert)
    return players


def demo_runs(user_id: int, module, scored: list, when: datetime) -> list[dict]:
    """The ScenarioRun row of each scenario played to an ending (the run its score is from)."""
    return [
        {
            "user_id": user_id,
            "module_version_id": module.latest_version_id,
            "scenario_id": ident,
            "number": 1,
            "node_id": run.node_id,
            "state": run.variables,
            "path": run.path,
            "scores": run.scores,
            "steps": len(run.path),
            "status": RunStatus.FINISHED,
            "percent": run.percent,
            "started_at": when - timedelta(minutes=20),
            "finished_at": when,
        }
        for kind, ident, _score, _passed, run in scored
        if kind == "scenario"
    ]


def demo_state(required, rng: random.Random, players: dict) -> tuple[dict, list]:
    """A state meeting a random prefix of the requirements, with plausible scores; a
    scenario counts as met when a random run of it (`players`) reaches an ending, and its
    best score is that run's. Lessons met were viewed, and so was the next one, if any."""
    met = rng.choice([len(required)] * 2 + list(range(len(required) + 1)))
    state = {"lessons": [], "quizzes": {}, "scenarios": {}}
    scored = []
    for i, req in enumerate(required):
        passed = i < met
        if req.kind == "lesson" and passed:
            state["lessons"].append(req.id)
        elif req.kind == "quiz" and (passed or rng.random() < 0.5):
            mark = req.pass_mark or 70
            best = (
                rng.randint(mark, 100)
                if passed
                else rng.randint(max(mark - 60, 0), max(mark - 1, 0))
            )
            state["quizzes"][req.id] = {"best": best, "passed": passed}
            scored.append(("quiz", req.id, best, passed, None))
        elif req.kind == "scenario" and passed and req.id in players:
            run = players[req.id](rng)
            if run is not None:
                state["scenarios"][req.id] = {"best": run.percent}
                scored.append(("scenario", req.id, run.percent, True, run))
    lessons = [r.id for r in required if r.kind == "lesson"]
    state["viewed"] = lessons[: len(state["lessons"]) + 1]
    return state, scored


class Trail:
    """The events one learner left in one module, a few minutes apart from `start` on, in
    the shape the application records them (trainer/learning/progress.py, attempts.py,
    scenario_runs.py)."""

    STEP = timedelta(minutes=3)

    def __init__(self, user_id: int, module: Module, start: datetime):
        self.user_id, self.moment = user_id, start
        self.slug, self.version_id = module.slug, module.latest_version_id  # read once
        self.events: list[dict] = []

    def add(self, verb: Verb, object_id: str, result: dict | None = None) -> None:
        self.moment += self.STEP
        self.events.append(
            {
                "user_id": self.user_id,
                "verb": verb,
                "object_id": self.slug + object_id,
                "module_version_id": self.version_id,
                "result": result,
                "created_at": self.moment,
            }
        )

    def of(self, state: dict, scored: list, content: ModuleContent, done: bool, rng) -> list:
        self.add(Verb.INITIALIZED, "")
        for lesson in state["viewed"]:
            self.add(Verb.EXPERIENCED, f"/lesson/{lesson}")
            if lesson in state["lessons"]:
                self.add(Verb.COMPLETED, f"/lesson/{lesson}")
        for kind, ident, score, passed, run in scored:
            if kind == "quiz":
                self.quiz(content.quizzes[ident], score, passed, rng)
            else:
                self.scenario(ident, run)
        if done:
            self.add(Verb.COMPLETED, "", {"completion": True})
        return self.events

    def quiz(self, quiz, score: int, passed: bool, rng) -> None:
        """Attempts with an answer event per autosave of each drawn question (some answers
        were changed, so saved twice). A third of the quizzes took an
        attempt more: a failed one before the pass, or a second failure, so that the
        dashboard's "failed a quiz twice" has learners."""
        attempts = [(score, passed)]
        if score % 3 == 0:
            attempts.insert(0, (max(score - 10 if not passed else score // 2, 0), False))
        for number, (result, success) in enumerate(attempts, start=1):
            self.add(Verb.ATTEMPTED, f"/quiz/{quiz.id}", {"attempt": number})
            for index in drawn(quiz, rng):
                question = quiz.questions[index].id
                for _save in range(1 + (rng.random() < CHANGED_ANSWERS)):
                    answer = {"attempt": number}
                    self.add(Verb.ANSWERED, f"/quiz/{quiz.id}/{question}", answer)
            verb = Verb.PASSED if success else Verb.FAILED
            self.add(verb, f"/quiz/{quiz.id}", {"score": result})

    def scenario(self, ident: str, run) -> None:
        for step in run.path:
            if step["kind"] == "narrative":
                continue
            result = {"run": 1, "scores": step["scores"]}
            result |= {"choice": step["choice"]} if step["kind"] == "choice" else {}
            result |= {"values": step["values"]} if step["kind"] == "ruling" else {}
            self.add(Verb.CHOSE, f"/scenario/{ident}/{step['node']}", result)
        self.add(Verb.COMPLETED, f"/scenario/{ident}", {"score": run.percent})


def moment_between(start: date, rng: random.Random) -> datetime:
    days = max((utcnow().date() - start).days, 0)
    day = start + timedelta(days=rng.randint(0, days))
    moment = datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=UTC)
    return min(moment, utcnow())  # today's hour may not have come yet


def existing_demo_cohorts() -> tuple[int, int]:
    """(demo cohorts, their current members) already in the database."""
    cohorts = select(Cohort.id).where(Cohort.name.startswith(NAME_PREFIX, autoescape=True))
    count = db.session.scalar(select(func.count()).select_from(cohorts.subquery()))
    members = db.session.scalar(
        select(func.count(CohortMember.id)).where(CohortMember.cohort_id.in_(cohorts))
    )
    return count or 0, members or 0


def demo_trainers(cohorts: int, first: User, password: str) -> list[User]:
    """`first`, then trainer-2@example.org, … (made with `password` when missing): one per
    COHORTS_PER_TRAINER cohorts."""
    trainers = [first]
    for k in range(2, -(-cohorts // COHORTS_PER_TRAINER) + 1):
        email = f"trainer-{k}@example.org"
        found = find_by_email(email)
        trainers.append(found or create_user(email, f"Тренер Демо {k}", password, Role.TRAINER))
    return trainers


def refresh_statistics() -> None:
    """PostgreSQL plans the dashboard's joins from table statistics, which a bulk load leaves
    stale until autovacuum comes by: gather them now."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("users", "cohort_members", "progress", "learning_events", "scenario_runs"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()


def demo_cohort_command(learners: int, trainer_email: str, password: str) -> None:
    """The `flask demo --learners N` step: report what was made and how long it took, or why
    nothing was. A second run finds the first's cohorts and makes nothing."""
    cohorts, members = existing_demo_cohorts()
    if cohorts:
        click.echo(f"exists   {cohorts} demo cohort(s) with {members} learners: nothing made "
                   "(start from an empty database for another size)")  # fmt: skip
        return
    trainer = find_by_email(trainer_email)
    if trainer is None or not synced_modules():
        click.echo("no demo cohort: sync a module first (flask modules sync)")
        return
    began = clock.perf_counter()
    trainers = demo_trainers(len(cohort_sizes(learners)), trainer, password)
    made_cohorts, made = create_demo_cohorts(learners, trainers)
    db.session.commit()
    refresh_statistics()
    seconds = clock.perf_counter() - began
    for t in trainers[1:]:
        click.echo(f"trainer  {t.email} / {password}")
    first = made_cohorts[0]
    click.echo(f"created  cohort {first.name!r} (id {first.id}) run by {trainer_email}")
    click.echo(
        f"created  {made['cohorts']} cohort(s), {made['learners']} learners, "
        f"{made['assignments']} assignments, {made['progress']} progress rows, "
        f"{made['events']} learning events, {made['runs']} scenario runs "
        f"in {seconds:.1f} s"
    )
