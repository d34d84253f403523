"""Fixtures: a fresh app and database per test, on SQLite or on DATABASE_URL (PostgreSQL)."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from trainer import create_app
from trainer.accounts import create_user
from trainer.extensions import db
from trainer.models import Profession, Role

PASSWORD = "correct-horse-battery"


def database_url(tmp_path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


def reset_database() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


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
            reset_database()
            if create_schema:
                db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            reset_database()
            db.engine.dispose()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1; `smtp_server.messages` is what it got."""
    from tests.mail_support import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app that sends its mail to `smtp_server`."""
    from tests.mail_support import smtp_settings

    return make_app(**smtp_settings(smtp_server.port))


@pytest.fixture
def redis_url():
    """A throwaway redis-server on a free port (`make test` installs Debian's redis-server):
    the rate-limit store that several workers and servers share."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server.")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(5)


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
