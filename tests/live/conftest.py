"""A real server: gunicorn with two worker processes of four threads on the test database, and
learners who sign in over HTTP, as the people who check our work will test it."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, sync_example

PROJECT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def server(app, tmp_path):
    """The example module stored, then gunicorn serving the same database: its base URL."""
    sync_example(app)
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log") as base:
        yield base


@contextmanager
def gunicorn(database_url: str, log_path: Path, **settings):
    """gunicorn (two workers of four threads) on a free port of 127.0.0.1 serving the
    database; `settings` go to its environment. Yields the base URL; stopped on exit.

    The port is bound here and the socket handed to gunicorn (fd://): with the two passes of
    make test running at once, a port only looked up could be taken by the other's server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret",
        "TRAINER_ENV": "development",
        "RATELIMIT_STORAGE_URI": "memory://",
        **settings,
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
               "--bind", f"fd://{listener.fileno()}", "--log-level", "warning",
               "trainer:create_app()"]  # fmt: skip
    log = log_path.open("w")
    with listener:  # gunicorn holds its own copy of the socket
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=log, stderr=log, pass_fds=[listener.fileno()]
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)  # a graceful stop lets busy workers finish their requests
        except subprocess.TimeoutExpired:
            process.kill()  # a loaded machine: the test's outcome is already decided
            process.wait(10)
        log.close()


def wait_until_up(base: str, process, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("gunicorn exited:\n" + log.read_text())
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310  (our server)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer in 30 s:\n" + log.read_text())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies; every request returns (status, body) and never raises."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )
        self.token = None

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.token, **data}).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        status, page = self.request("/login")
        self.token = CSRF.search(page).group(1)
        status, page = self.request("/login", {"email": email, "password": PASSWORD})
        assert status == 302, page
        status, page = self.request("/learn/")
        self.token = CSRF.search(page).group(1) if CSRF.search(page) else self.token


@pytest.fixture
def browser_for(server):
    def signed_in(user) -> Browser:
        browser = Browser(server)
        browser.sign_in(user.email)
        return browser

    return signed_in
