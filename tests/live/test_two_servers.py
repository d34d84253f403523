"""Two app servers (gunicorn, two workers each, on two ports) against one PostgreSQL and one
Redis, as behind a reverse proxy: they keep no state of their own. A session made on one works
on the other, sign-in attempts count across both, and a module synced once is served by both."""

import os
import subprocess
import sys
from contextlib import ExitStack

import pytest

from tests.conftest import EXAMPLE_MODULE
from tests.live.conftest import CSRF, PROJECT, Browser, gunicorn

OFFICER = "officer@example.org"
MODULE = "/learn/example-module/"
TITLE = "Выезд на вызов о домашнем насилии"

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="several app servers share one PostgreSQL server: this runs on the PostgreSQL pass "
    "of `make test` (TEST_DATABASE_URL); one SQLite file belongs to one machine",
)


@pytest.fixture
def two_servers(app, redis_url, tmp_path):
    """The base URLs of two gunicorn servers sharing the test database and `redis_url`."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with ExitStack() as stack:
        yield [
            stack.enter_context(gunicorn(url, tmp_path / f"server{n}.log",
                                         RATELIMIT_STORAGE_URI=redis_url))
            for n in (1, 2)
        ]  # fmt: skip


def on(browser: Browser, base: str) -> Browser:
    """The same person (the same cookies) talking to another server."""
    browser.base = base
    return browser


def wrong_password(browser: Browser) -> int:
    _status, page = browser.request("/login")
    browser.token = CSRF.search(page).group(1)
    return browser.request("/login", {"email": OFFICER, "password": "not-the-password"})[0]


def sync_through_the_command_line(database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret"}
    command = [sys.executable, "-m", "flask", "--app", "trainer", "modules", "sync",
               str(EXAMPLE_MODULE)]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_session_made_on_one_server_works_on_the_other(two_servers, make_user):
    first, second = two_servers
    make_user(email=OFFICER, locale="ru")
    browser = Browser(first)
    browser.sign_in(OFFICER)
    assert on(browser, first).request("/learn/")[0] == 200
    status, page = on(browser, second).request("/learn/")
    assert status == 200 and "/logout" in page
    stranger = Browser(second)
    assert stranger.request("/learn/")[0] == 302  # the second server does ask who you are
    # Signing out on the second ends the session on the first too.
    assert on(browser, second).request("/logout", {})[0] == 302
    assert on(browser, first).request("/learn/")[0] == 302


def test_wrong_passwords_count_across_both_servers(two_servers, make_user):
    make_user(email=OFFICER)
    guesser = Browser(two_servers[0])
    codes = [wrong_password(on(guesser, two_servers[n % 2])) for n in range(8)]
    print("wrong passwords, alternating between the servers:", codes)
    assert codes == [200] * 5 + [429] * 3  # five per minute for one address on one account


def test_a_module_synced_once_is_served_by_both_servers(two_servers, app, make_user):
    make_user(email=OFFICER)
    browsers = [Browser(base) for base in two_servers]
    for browser in browsers:
        browser.sign_in(OFFICER)
        assert browser.request(MODULE)[0] == 404
    print(sync_through_the_command_line(app.config["SQLALCHEMY_DATABASE_URI"]).strip())
    for browser in browsers:
        status, page = browser.request(MODULE)
        print(f"{browser.base}{MODULE}: {status}")
        assert status == 200 and TITLE in page
