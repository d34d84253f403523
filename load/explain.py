"""EXPLAIN (ANALYZE) of the queries behind the pages that read progress, on a demo database.

    DATABASE_URL=postgresql+psycopg://... .venv/bin/python load/explain.py [--plans]

Needs a database made by `flask demo --learners N` (PostgreSQL; SQLite gets EXPLAIN QUERY
PLAN). Opens, in a test client signed in as the demo trainer and as a demo learner of the
trainer's first cohort: the dashboard (plain, "failed a quiz twice", sorted by a module), a
learner's drill-down, the cohort list, "My training", a module page, a lesson page, a quiz
page and a scenario page. Each SELECT they send is explained once with its own parameters;
the table lists the slowest first (execution ms, the plan's total cost, its top node), and
--plans prints the plans of those over 2 ms or with a sequential scan.
"""

import os
import sys
from collections import defaultdict

from sqlalchemy import event, select

from trainer import create_app
from trainer.extensions import db
from trainer.models import Assignment, Cohort, CohortMember, Module, Progress, Status, User

TRAINER = "trainer@example.org"


def sign_in(client, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def pages() -> tuple[User, User, list[str], list[str]]:
    """(trainer, learner, the trainer's URLs, the learner's URLs) on the demo data."""
    trainer = db.session.scalar(select(User).where(User.email == TRAINER))
    cohort = db.session.scalar(select(Cohort).where(Cohort.trainers.contains(trainer)))
    assignment = db.session.scalar(select(Assignment).where(Assignment.cohort_id == cohort.id))
    progress = db.session.scalar(
        select(Progress)
        .join(CohortMember, CohortMember.user_id == Progress.user_id)
        .where(CohortMember.cohort_id == cohort.id, Progress.status == Status.IN_PROGRESS)
        .order_by(Progress.id)
    )
    learner = db.session.get(User, progress.user_id)
    module = db.session.get(Module, progress.module_id)
    base = f"/cohorts/{cohort.id}"
    trainer_urls = [
        f"{base}/",
        f"{base}/?status=failed_twice",
        f"{base}/?sort=m{assignment.module_id}&dir=desc&page=2",
        f"{base}/learners/{learner.id}",
        "/cohorts/",
    ]
    learner_urls = ["/learn/my", f"/learn/{module.slug}/"]
    return trainer, learner, trainer_urls, learner_urls + content_urls(module)


def content_urls(module: Module) -> list[str]:
    from trainer.learning.content import content_of

    content = content_of(module.latest_version)
    urls = [f"/learn/{module.slug}/lessons/{next(iter(content.lesson_html))}"]
    urls += [f"/learn/{module.slug}/quizzes/{q}" for q in list(content.quizzes)[:1]]
    urls += [f"/learn/{module.slug}/scenarios/{s}" for s in list(content.scenarios)[:1]]
    return urls


def capture(app, client, urls: list[str]) -> dict[str, tuple]:
    """statement -> (parameters, the first URL that sent it)."""
    seen: dict[str, tuple] = {}
    current = [""]

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and statement not in seen:
            seen[statement] = (parameters, current[0])

    with app.app_context():
        engine = db.engine
    for url in urls:
        client.get(url, headers={"Accept-Language": "en"})  # warm the content caches
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for url in urls:
            current[0] = url
            response = client.get(url, headers={"Accept-Language": "en"})
            if response.status_code != 200:
                sys.exit(f"{url}: HTTP {response.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def explain(statement: str, parameters) -> tuple[float, float, str, list[str]]:
    """(execution ms, total cost, top node, plan lines) on PostgreSQL."""
    connection = db.session.connection()
    plan = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
    ).scalar()[0]
    text = connection.exec_driver_sql("EXPLAIN (ANALYZE) " + statement, parameters).scalars()
    top = plan["Plan"]
    return plan["Execution Time"], top["Total Cost"], top["Node Type"], list(text)


def report(found: dict[str, tuple], plans: bool) -> None:
    rows = []
    for statement, (parameters, url) in found.items():
        ms, cost, node, lines = explain(statement, parameters)
        rows.append((ms, cost, node, url, statement, lines))
    rows.sort(key=lambda row: -row[0])
    print(f"{'ms':>8} {'cost':>10}  {'top node':<16} first sent by")
    totals = defaultdict(float)
    for ms, cost, node, url, _statement, _lines in rows:
        totals[url] += ms
        print(f"{ms:8.2f} {cost:10.1f}  {node:<16} {url}")
    print("\nper page (ms, the sum of its statements' execution times):")
    for url, ms in totals.items():
        print(f"{ms:8.2f}  {url}")
    if plans:
        for ms, _cost, _node, url, statement, lines in rows:
            if ms > 2 or any("Seq Scan on" in line for line in lines):
                print(f"\n--- {url} ({ms:.1f} ms)\n{statement}\n" + "\n".join(lines))


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("DATABASE_URL must name the PostgreSQL demo database")
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        trainer, learner, trainer_urls, learner_urls = pages()
        trainer_client, learner_client = app.test_client(), app.test_client()
        sign_in(trainer_client, trainer)
        sign_in(learner_client, learner)
    found = capture(app, trainer_client, trainer_urls)
    found |= {k: v for k, v in capture(app, learner_client, learner_urls).items() if k not in found}
    with app.app_context():
        report(found, "--plans" in sys.argv)
        db.session.rollback()


if __name__ == "__main__":
    main()
