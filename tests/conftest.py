"""Fixtures: a fresh app and database per test, on SQLite or on DATABASE_URL (PostgreSQL)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text

from trainer import create_app
from trainer.accounts import create_user
from trainer.extensions import db
from trainer.models import Profession, Role

PASSWORD = "correct-horse-battery"
TESTS = Path(__file__).parent
# Folders whose tests start servers (gunicorn, a live server) and drive Chromium.
SERVER_TESTS = (TESTS / "e2e", TESTS / "live")


def pytest_configure(config):
    # scripts/test.sh stops a pass running in the background with SIGTERM: it ends as after
    # Ctrl-C, through every fixture's teardown (gunicorn, redis-server, Chromium are stopped).
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_addoption(parser):
    group = parser.getgroup("trainer")
    group.addoption(
        "--database-only",
        action="store_true",
        help="run only the tests that use a database (through the make_app fixture); "
        "scripts/test.sh's PostgreSQL pass: the others ran on the SQLite pass",
    )
    group.addoption(
        "--servers-last",
        action="store_true",
        help="run the tests that start servers and browsers (tests/e2e, tests/live) last",
    )


def uses_database(item) -> bool:
    return "make_app" in getattr(item, "fixturenames", ())


def starts_servers(item) -> bool:
    return any(folder in item.path.parents for folder in SERVER_TESTS)


def pytest_collection_modifyitems(config, items):
    if config.getoption("database_only"):
        deselected = [item for item in items if not uses_database(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if uses_database(item)]
    if config.getoption("servers_last"):
        items.sort(key=starts_servers)  # stable: the order within each part stays


def database_url(tmp_path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


def reset_database() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


# Server databases (PostgreSQL) that hold exactly the models' tables, made by create_all in this
# session. The next test empties them (TRUNCATE ... RESTART IDENTITY: no rows, ids from 1 again)
# instead of dropping and creating every table, which costs ~0.15 s a test. A SQLite database is
# a new file per test and keeps the plain path.
_schema_made: set[str] = set()


def prepare_database(url: str, create_schema: bool) -> None:
    """An empty database: schema-complete (as create_all makes it), or without any table."""
    tables = set(db.metadata.tables)
    made = create_schema and url in _schema_made
    if made and set(inspect(db.engine).get_table_names()) == tables:
        names = ", ".join(f'"{name}"' for name in sorted(tables))
        with db.engine.begin() as connection:
            # A connection a test left inside a transaction: an error after a minute, no hang.
            connection.execute(text("SET LOCAL lock_timeout = '60s'"))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    _schema_made.discard(url)
    reset_database()
    if create_schema:
        db.create_all()
        if db.engine.dialect.name == "postgresql":
            _schema_made.add(url)


@pytest.fixture
def make_app(tmp_path):
    """Build an app with extra settings; the database starts empty and schema-complete."""
    apps = []

    def factory(create_schema=True, **overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            # scrypt costs ~50 ms a hash; the KDF itself is tested in tests/unit/test_accounts.py.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # No mail server unless a test starts one (smtp_server): messages go to a folder.
            "MAIL_SERVER": None,
            "TRAINER_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
        config.update(overrides)
        app = create_app(config)
        with app.app_context():
            prepare_database(app.config["SQLALCHEMY_DATABASE_URI"], create_schema)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"] not in _schema_made:
                reset_database()  # else the next test empties it
            db.engine.dispose()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1; `smtp_server.messages` is what it got."""
    from tests.mail_support import SMTPServer

    server = SMTPServer.running()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app that sends its mail to `smtp_server`."""
    from tests.mail_support import smtp_settings

    return make_app(**smtp_settings(smtp_server.port))


@pytest.fixture
def redis_url():
    """A throwaway redis-server (`make test` installs Debian's redis-server): the rate-limit store
    that several workers and servers share. It listens on a Unix socket in a folder of its own,
    not on a port: make test's two passes run at once, and a free port looked up then released
    could be taken by the other pass in between."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server.")
    folder = Path(tempfile.mkdtemp(prefix="redis-"))  # short: a socket's path has 107 bytes at most
    path = folder / "redis.sock"
    args = [binary, "--port", "0", "--unixsocket", str(path), "--unixsocketperm", "700",
            "--save", "", "--appendonly", "no"]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(path))
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis+unix://{path}"
    process.terminate()
    process.wait(5)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app(make_app):
    # No app context is held open for the test: each request must start from a clean `g`,
    # as in production. Tests open `app.app_context()` where they read the database.
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 100_000))

    def factory(role=Role.LEARNER, profession=Profession.POLICE, email=None, name=None, **kw):
        """A committed user, detached with its attributes loaded (id, email, name ...)."""
        n = next(counter)
        with app.app_context():
            user = create_user(
                email or f"user{n}@example.org",
                name or f"Пользователь {n}",
                kw.pop("password", PASSWORD),
                role=role,
                profession=profession,
                **kw,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


@contextmanager
def sql_statements(app, with_parameters=False):
    """The SQL statements sent to `app`'s database meanwhile, in order; with_parameters: as
    (statement, parameters) pairs."""
    sent = []

    def record(_connection, _cursor, statement, parameters, *_args):
        sent.append((statement, parameters) if with_parameters else statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post("/login", data={"email": user.email, "password": password, **extra})


@pytest.fixture
def learner(make_user):
    return make_user(role=Role.LEARNER, email="learner@example.org", name="Анна Смирнова")


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN, email="admin@example.org", name="Админ Админов")


EXAMPLE_MODULE = Path(__file__).parent / "fixtures" / "modules" / "example-module"


def sync_example(app, folder: Path = EXAMPLE_MODULE):
    """Store a module (the example by default) and return the sync outcome."""
    from trainer.content.sync import sync_modules

    with app.app_context():
        [outcome] = sync_modules([folder])
        db.session.commit()
    assert outcome.status != "invalid", outcome.errors
    return outcome


@pytest.fixture
def module_copy(tmp_path) -> Path:
    """A writable copy of the example module, for tests that break or change it."""
    target = tmp_path / "modules" / EXAMPLE_MODULE.name
    shutil.copytree(EXAMPLE_MODULE, target)
    return target
