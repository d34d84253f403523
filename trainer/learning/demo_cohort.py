"""A demo cohort with realistic progress (`flask demo --learners N`), built with bulk inserts:
hashing a password per learner would take minutes for a thousand of them."""

import random
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import click
from sqlalchemy import insert, select

from trainer.accounts import find_by_email
from trainer.extensions import db
from trainer.learning.cohort_queries import synced_modules
from trainer.learning.completion import is_complete, percent_done, requirements
from trainer.learning.content import content_of
from trainer.learning.demo_runs import expert_scores, play_randomly
from trainer.learning.enrolment import unusable_password
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    LearningEvent,
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
MAX_ASSIGNMENTS = 5


def create_demo_cohort(learners: int, trainer: User, seed: int = 2026) -> Cohort | None:
    """A cohort of `learners` over up to five synced modules, run by `trainer`; None when no
    module is synced. Flushes; the caller commits."""
    modules = synced_modules()[:MAX_ASSIGNMENTS]
    if not modules:
        return None
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    today = utcnow().date()
    cohort = Cohort(
        name=f"Демо-группа на {learners} слушателей",
        region="Тверская область",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
        trainers=[trainer],
    )
    db.session.add(cohort)
    db.session.flush()
    assignments = [
        Assignment(cohort_id=cohort.id, module_id=m.id, due_on=today + timedelta(days=14 * i - 7))
        for i, m in enumerate(modules)
    ]
    db.session.add_all(assignments)
    user_ids = insert_learners(cohort.id, learners, rng)
    db.session.execute(
        insert(CohortMember), [{"cohort_id": cohort.id, "user_id": uid} for uid in user_ids]
    )
    insert_progress(user_ids, modules, cohort.starts_on, rng)
    db.session.flush()
    return cohort


def insert_learners(cohort_id: int, count: int, rng: random.Random) -> list[int]:
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
    db.session.execute(insert(User), rows)
    prefix = f"demo-{cohort_id}-%"
    return list(db.session.scalars(select(User.id).where(User.email.like(prefix))))


def insert_progress(user_ids: list[int], modules, start: date, rng: random.Random) -> None:
    progress_rows, events, runs = [], [], []
    for module in modules:
        content = content_of(module.latest_version)
        meta, players = content.meta, scenario_players(content.scenarios)
        for user_id in user_ids:
            if rng.random() < 0.2:
                continue  # not started
            state, scored = demo_state(requirements(meta), rng, players)
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
            events += demo_events(user_id, module, scored, when)
            runs += demo_runs(user_id, module, scored, when)
    db.session.execute(insert(Progress), progress_rows)
    if events:
        db.session.execute(insert(LearningEvent), events)
    if runs:
        db.session.execute(insert(ScenarioRun), runs)


def scenario_players(scenarios: dict) -> dict:
    """scenario id -> a function of rng that plays a run to an ending (or None)."""
    players = {}
    for ident, scenario in scenarios.items():
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
    best score is that run's."""
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
    return state, scored


def demo_events(user_id: int, module, scored: list, when: datetime) -> list[dict]:
    """One event per score; a third of the failed quizzes were failed twice (an attempt the
    day before), so that the dashboard's "failed a quiz twice" has learners to show."""
    events = []
    for kind, ident, score, passed, _run in scored:
        verb = Verb.COMPLETED if kind == "scenario" else (Verb.PASSED if passed else Verb.FAILED)
        attempts = [(when, score)]
        if verb == Verb.FAILED and score % 3 == 0:
            attempts.insert(0, (when - timedelta(days=1), max(score - 10, 0)))
        events += [
            {
                "user_id": user_id,
                "verb": verb,
                "object_id": f"{module.slug}/{kind}/{ident}",
                "module_version_id": module.latest_version_id,
                "result": {"score": result},
                "created_at": moment,
            }
            for moment, result in attempts
        ]
    return events


def moment_between(start: date, rng: random.Random) -> datetime:
    days = max((utcnow().date() - start).days, 0)
    day = start + timedelta(days=rng.randint(0, days))
    return datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=UTC)


def demo_cohort_command(learners: int, trainer_email: str) -> None:
    """The `flask demo --learners N` step: report what was made, or why nothing was."""
    trainer = find_by_email(trainer_email)
    cohort = create_demo_cohort(learners, trainer) if trainer is not None else None
    if cohort is None:
        click.echo("no demo cohort: sync a module first (flask modules sync)")
        return
    db.session.commit()
    click.echo(f"created  cohort {cohort.name!r} (id {cohort.id}) run by {trainer_email}")
