"""`flask demo --learners N` at scale (issue 19): cohorts of 200, a trainer per five cohorts,
every synced module assigned, events inserted in bulk; made once; the dashboard of a demo
cohort costs the queries of any other cohort's."""

from collections import namedtuple
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from tests.conftest import sync_example
from tests.web.test_cohorts import statements_during
from trainer.extensions import db
from trainer.learning.demo_cohort import (
    cohort_sizes,
    create_demo_cohort,
    demo_trainers,
)
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    LearningEvent,
    Progress,
    Role,
    ScenarioRun,
    User,
    Verb,
    cohort_trainers,
)

DEMO_TRAINER = namedtuple("Account", "email")("trainer@example.org")


def counts() -> dict[str, int]:
    tables = {
        "cohorts": Cohort,
        "members": CohortMember,
        "assignments": Assignment,
        "progress": Progress,
        "events": LearningEvent,
        "runs": ScenarioRun,
    }
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in tables.items()
    }


def test_cohort_sizes_are_200_with_the_rest_in_a_last_cohort():
    assert cohort_sizes(10_000) == [200] * 50
    assert cohort_sizes(400) == [200, 200]
    assert cohort_sizes(401) == [200, 200, 1]
    assert cohort_sizes(20) == [20]


def test_a_trainer_per_five_cohorts_made_once(app, make_user):
    first = make_user(role=Role.TRAINER, email="trainer@example.org")
    with app.app_context():
        owner = db.session.get(User, first.id)
        made = [t.email for t in demo_trainers(11, owner, "trainer-demo-2026")]
        again = [t.email for t in demo_trainers(11, owner, "trainer-demo-2026")]
        db.session.commit()
        trainers = db.session.scalar(select(func.count()).where(User.role == Role.TRAINER))
    assert made == again == [
        "trainer@example.org", "trainer-2@example.org", "trainer-3@example.org",
    ]  # fmt: skip
    assert trainers == 3


def test_demo_400_makes_two_cohorts_once_with_events_in_bulk(app):
    sync_example(app)
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["demo", "--learners", "400"])
    assert first.exit_code == 0, first.output
    assert "created  2 cohort(s), 400 learners, 2 assignments" in first.output
    with app.app_context():
        made = counts()
        per_cohort = db.session.execute(
            select(CohortMember.cohort_id, func.count()).group_by(CohortMember.cohort_id)
        ).all()
        runners = set(db.session.scalars(
            select(User.email).join(cohort_trainers, cohort_trainers.c.user_id == User.id)
        ))  # fmt: skip
        verbs = set(db.session.scalars(select(LearningEvent.verb).distinct()))
        latest = db.session.scalar(select(func.max(LearningEvent.created_at)))
    assert made["cohorts"] == 2 and made["members"] == 400 and made["assignments"] == 2
    assert sorted(n for _, n in per_cohort) == [200, 200]
    assert runners == {"trainer@example.org"}
    # About four in five learners started the module; each start leaves a trail of events.
    assert 250 < made["progress"] < 380
    assert made["events"] > 10 * made["progress"] and made["runs"] > 0
    assert {Verb.INITIALIZED, Verb.EXPERIENCED, Verb.ANSWERED, Verb.CHOSE} <= verbs
    assert latest.replace(tzinfo=UTC) <= datetime.now(UTC)  # nothing happened in the future
    assert f"{made['events']} learning events" in first.output

    with app.app_context():
        second = runner.invoke(args=["demo", "--learners", "400"])
        assert counts() == made
    assert second.exit_code == 0, second.output
    assert "exists   2 demo cohort(s) with 400 learners: nothing made" in second.output


def test_a_demo_cohorts_dashboard_makes_the_queries_of_a_small_cohorts(app):
    sync_example(app)
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["demo", "--learners", "400"]).exit_code == 0
        trainer = db.session.scalar(select(User).where(User.email == DEMO_TRAINER.email))
        small = create_demo_cohort(10, trainer, seed=1).id
        db.session.commit()
        big = db.session.scalar(select(Cohort.id).order_by(Cohort.id))
    client = app.test_client()
    signed = client.post(
        "/login", data={"email": DEMO_TRAINER.email, "password": "trainer-demo-2026"}
    )
    assert signed.status_code == 302
    for cohort_id in (small, big):  # warm: parsed module content is cached per process
        client.get(f"/cohorts/{cohort_id}/")
    queries = {}
    for cohort_id in (small, big):
        statements, response = statements_during(app, client, f"/cohorts/{cohort_id}/")
        queries[cohort_id] = len(statements)
    assert queries[big] == queries[small] <= 10, queries
    assert "Learners 1–50 of 200 shown" in response.text


def test_the_migration_makes_the_dashboards_indexes(make_app):
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    app = make_app(create_schema=False)
    with app.app_context():
        upgrade()
        found = {
            index["name"]: index
            for table in ("learning_events", "progress", "cohort_members")
            for index in inspect(db.engine).get_indexes(table)
        }
        dialect = db.engine.dialect.name
    quiz_results = found["ix_learning_events_quiz_results"]
    assert quiz_results["column_names"] == ["user_id", "module_version_id", "object_id", "verb"]
    assert found["ix_progress_user_module_status"]["column_names"][:3] == [
        "user_id", "module_id", "status",
    ]  # fmt: skip
    assert found["ix_cohort_members_user_id"]["column_names"] == ["user_id"]
    if dialect == "postgresql":  # partial, and covering the id
        assert "passed" in quiz_results["dialect_options"]["postgresql_where"]
        covering = found["ix_progress_user_module_status"]["dialect_options"]
        assert covering["postgresql_include"] == ["id"]


def test_failed_twice_reads_the_quiz_results_index_alone(app):
    """SQLite takes a partial index only for a query with its very condition: the dashboard's
    "failed a quiz twice" must read the quiz results from it, not every event of a member."""
    from trainer.learning.cohort_queries import failed_twice_ids

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL's choice follows its statistics (load/EXPLAIN.md)
        query = failed_twice_ids(1).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(
            row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {query}"))
        )
    assert "COVERING INDEX ix_learning_events_quiz_results" in plan, plan
