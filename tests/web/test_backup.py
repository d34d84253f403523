"""`flask backup` and `flask restore` round-trip a database holding every kind of record, on
SQLite (a second file) and on PostgreSQL (a second database on the same server)."""

import os
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, select, table, text
from sqlalchemy.engine import make_url

from tests.conftest import sign_in, sync_example
from tests.web.certificates_support import complete_example
from tests.web.test_quiz import right_form
from trainer import backup
from trainer.accounts import activation_hash, find_by_email
from trainer.extensions import db
from trainer.learning import classroom
from trainer.models import (
    ActivationToken,
    Cohort,
    CohortMailing,
    InviteCode,
    MailingSubmission,
    Module,
    ReminderSent,
    Role,
    ScenarioRun,
    User,
)
from trainer.models.scenarios import ScenarioPairing
from trainer.models.types import utcnow

SAMPLE = 5  # rows compared from each end of every table


@pytest.fixture
def second_database(tmp_path):
    """The URL of an empty database beside the test database, dropped afterwards."""
    main = os.environ.get("TEST_DATABASE_URL")
    if not main:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"trainer_restore_{secrets.token_hex(4)}"
    server = create_engine(make_url(main).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(main).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def fill_with_every_kind_of_record(app, make_user) -> None:
    """Demo accounts and a demo cohort (progress, events, scenario runs), a quiz attempt with
    answers, a certificate, an invite code, an activation token, a scenario pairing, sent-mail
    records and a live class session with a vote. A new table fails the round-trip test until
    a record of it is added."""
    sync_example(app)
    with app.app_context():
        made = app.test_cli_runner().invoke(args=["demo", "--learners", "12"])
    assert made.exit_code == 0, made.output
    learner = make_user(locale="en", email="learner@example.org", name="Анна Смирнова")
    client = app.test_client()
    sign_in(client, learner)
    started = client.post("/learn/example-module/quizzes/check/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
    quiz = f"/learn/example-module/quizzes/check/attempts/{attempt_id}"
    assert client.post(quiz, data=right_form(app, attempt_id)).status_code in (200, 302, 303)
    assert client.post(quiz + "/submit").status_code in (200, 302, 303)
    assert client.post("/learn/example-module/scenarios/call/runs").status_code == 303
    assert complete_example(app, learner) is not None
    with app.app_context():
        trainer = find_by_email("trainer@example.org")
        cohort = db.session.scalar(select(Cohort))
        later = utcnow() + timedelta(days=7)
        run = db.session.scalar(select(ScenarioRun).where(ScenarioRun.user_id != learner.id))
        db.session.add_all([
            InviteCode(role=Role.LEARNER, expires_at=later, created_by_id=trainer.id,
                       cohort_id=cohort.id),
            ActivationToken(user_id=learner.id, token_hash=activation_hash("ABCD-EFGH"),
                            expires_at=later, created_by_id=trainer.id),
            ReminderSent(user_id=learner.id, kind="due:3", ref="a1@2026-12-10"),
            CohortMailing(cohort_id=cohort.id, email="new@example.org", kind="invite",
                          sent_by_id=trainer.id),
            MailingSubmission(token="f" * 64, user_id=trainer.id),
            ScenarioPairing(cohort_id=cohort.id, importer_id=learner.id, source_run_id=run.id,
                            created_by_id=trainer.id),
        ])  # fmt: skip
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        version = module.latest_version
        scenario = classroom.content_of(version).scenarios["call"]
        session = classroom.start_session(trainer, version, scenario)
        seat, _ = classroom.join(session, db.session.get(User, learner.id), "en")
        # Past the opening narrative, to the first decision.
        classroom.advance(session, scenario, session.steps, classroom.MAJORITY)
        classroom.vote(session, scenario, seat, session.steps, choice="separate")
        db.session.commit()


def snapshot(url: str) -> dict[str, list]:
    """The first and last rows of every table, ordered by primary key."""
    engine = create_engine(url)
    rows = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for name in sorted(inspector.get_table_names()):
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            query = select(text("*")).select_from(table(name)).order_by(*map(text, key))
            found = [tuple(row) for row in connection.execute(query)]
            rows[name] = found[:SAMPLE] + found[-SAMPLE:]
    engine.dispose()
    return rows


def test_backup_and_restore_round_trip_every_kind_of_record(
    second_database, app, make_app, make_user, tmp_path
):
    fill_with_every_kind_of_record(app, make_user)
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    counts = backup.table_counts(source)
    assert set(counts) == set(db.metadata.tables)
    assert all(counts.values()), {name: n for name, n in counts.items() if not n}

    archive = tmp_path / "trainer.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"{sum(counts.values())} rows in {len(counts)} tables" in result.output
    assert archive.stat().st_mode & 0o777 == 0o600

    target = make_app(create_schema=False, SQLALCHEMY_DATABASE_URI=second_database)
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"Restored {archive}" in result.output
    assert backup.table_counts(second_database) == counts
    assert snapshot(second_database) == snapshot(source)

    restored = target.test_client()  # the restored database serves the app
    assert sign_in(restored, find_learner(target)).status_code == 302
    assert restored.get("/learn/example-module/").status_code == 200


def find_learner(app):
    with app.app_context():
        user = find_by_email("learner@example.org")
        db.session.expunge(user)
        return user


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(app, make_user, tmp_path):
    make_user(email="kept@example.org")
    archive = tmp_path / "one-user.backup"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    make_user(email="later@example.org")

    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code == 1
    assert "is not empty (2 rows in" in refused.output and "--force" in refused.output
    assert backup.table_counts(app.config["SQLALCHEMY_DATABASE_URI"])["users"] == 2

    forced = runner.invoke(args=["restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert "1 rows in" in forced.output
    with app.app_context():
        assert find_by_email("later@example.org") is None
        assert find_by_email("kept@example.org") is not None


def test_restore_says_what_is_wrong_with_the_file(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["restore", str(tmp_path / "nothing.backup")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    wrong = runner.invoke(args=["restore", str(junk)])
    assert wrong.exit_code == 1
    assert "not a SQLite database" in wrong.output or "not a pg_dump file" in wrong.output
    no_folder = runner.invoke(args=["backup", str(tmp_path / "absent" / "x.backup")])
    assert no_folder.exit_code == 1 and "does not exist" in no_folder.output


def test_the_postgresql_password_goes_through_the_environment_only():
    url = make_url("postgresql+psycopg://trainer:s3cret@db.internal:5433/trainer?sslmode=require")
    env = backup.pg_environment(url)
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.internal", "5433", "trainer")
    assert (env["PGPASSWORD"], env["PGDATABASE"]) == ("s3cret", "trainer")
    assert env["PGSSLMODE"] == "require"
    assert "s3cret" not in backup.safe(url)  # what the messages show
