"""Behind a reverse proxy: the client's address comes from X-Forwarded-For only when the proxy
is configured (TRAINER_PROXY_HOPS), and static files have versioned URLs cached for a year. On
SQLite a worker's threads run the app one request at a time (TRAINER_SERIAL_REQUESTS)."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PASSWORD
from trainer.config import ConfigError, build_config
from trainer.worker_turns import WAIT_SECONDS, OneRequestAtATime, outside_the_turn

OWNER = "officer@example.org"
FAST = {"LOGIN_SLOWDOWN_SECONDS": 0.01}


def attempt(client, password: str, forwarded_for: str) -> int:
    data = {"email": OWNER, "password": password}
    headers = {"X-Forwarded-For": forwarded_for, "Accept-Language": "en"}
    return client.post("/login", data=data, headers=headers).status_code


def test_behind_one_proxy_limits_count_each_client_address(make_app, make_user):
    app = make_app(TRAINER_PROXY_HOPS=1, **FAST)
    make_user(email=OWNER)
    client = app.test_client()
    assert [attempt(client, "wrong-password", "203.0.113.9") for _ in range(6)][-1] == 429
    assert attempt(client, PASSWORD, "198.51.100.7") == 302  # another client, not the proxy


def test_without_a_proxy_a_forged_header_changes_nothing(make_app, make_user):
    app = make_app(**FAST)
    make_user(email=OWNER)
    client = app.test_client()
    assert [attempt(client, "wrong-password", "203.0.113.9") for _ in range(6)][-1] == 429
    assert attempt(client, PASSWORD, "198.51.100.7") == 429  # the same address, whatever it says


def test_proxy_hops_must_be_a_number(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINER_PROXY_HOPS", "yes")
    with pytest.raises(ConfigError, match="TRAINER_PROXY_HOPS"):
        build_config(str(tmp_path))
    monkeypatch.setenv("TRAINER_PROXY_HOPS", "2")
    assert build_config(str(tmp_path))["TRAINER_PROXY_HOPS"] == 2


def test_static_files_have_versioned_urls_cached_for_a_year(client):
    page = client.get("/login").text
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    cached = client.get(css)
    assert cached.status_code == 200
    assert "max-age=31536000" in cached.headers["Cache-Control"]
    assert "immutable" in cached.headers["Cache-Control"]
    for other in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        response = client.get(other)  # no version, or another server's: revalidated
        assert response.status_code == 200
        assert "max-age=31536000" not in response.headers.get("Cache-Control", "")


def test_static_links_follow_the_path_prefix_in_either_order(client):
    """static_url builds each link once per script root: a page served under /sub after one
    served at the root (and the other way round) links its files under its own prefix."""
    links = re.compile(r'(?:href|src)="([^"]*/static/[^"]+)"')
    for prefix in ("", "/sub", ""):
        page = client.get("/login", environ_overrides={"SCRIPT_NAME": prefix}).text
        found = links.findall(page)
        assert len(found) >= 3  # stylesheet, icon, script
        assert all(link.startswith(f"{prefix}/static/") for link in found), found


def test_serial_requests_follow_the_database_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("TRAINER_SERIAL_REQUESTS", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://trainer@db/trainer")
    assert build_config(str(tmp_path))["TRAINER_SERIAL_REQUESTS"] is False
    monkeypatch.delenv("DATABASE_URL")
    assert build_config(str(tmp_path))["TRAINER_SERIAL_REQUESTS"] is True  # SQLite, the default
    monkeypatch.setenv("TRAINER_SERIAL_REQUESTS", "0")
    assert build_config(str(tmp_path))["TRAINER_SERIAL_REQUESTS"] is False
    monkeypatch.setenv("TRAINER_SERIAL_REQUESTS", "yes")
    with pytest.raises(ConfigError, match="TRAINER_SERIAL_REQUESTS"):
        build_config(str(tmp_path))


def counting_app(inside: list, most: list, pause: float = 0.002):
    """A WSGI app that notes how many requests are inside it at once."""

    def app(environ, start_response):
        inside.append(1)
        most.append(len(inside))
        time.sleep(pause)  # lets go of the GIL, as a query does
        inside.pop()
        start_response("200 OK", [])
        return [b"ok"]

    return app


def test_a_workers_threads_run_the_app_one_request_at_a_time():
    inside, most = [], []
    serial = OneRequestAtATime(counting_app(inside, most))
    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda _: b"".join(serial({}, lambda *a: None)), range(40)))
    assert bodies == [b"ok"] * 40
    assert max(most) == 1
    inside, most = [], []
    with ThreadPoolExecutor(4) as pool:  # the same app without turns: several at once
        list(pool.map(lambda _: counting_app(inside, most)({}, lambda *a: None), range(40)))
    assert max(most) > 1


def test_the_response_is_sent_after_the_turn_is_given_up():
    def app(environ, start_response):
        start_response("200 OK", [])
        yield b"sent while others run: " + str(serial.turn.locked()).encode()

    serial = OneRequestAtATime(app)
    assert b"".join(serial({}, lambda *a: None)) == b"sent while others run: False"


def test_a_stalled_request_holds_up_the_others_no_longer_than_the_wait():
    released = threading.Event()

    def app(environ, start_response):
        if environ.get("stalled"):  # e.g. a mail server that does not answer
            released.wait(10)
        start_response("200 OK", [])
        return [b"ok"]

    serial = OneRequestAtATime(app)
    stalled = threading.Thread(target=serial, args=({"stalled": True}, lambda *a: None))
    stalled.start()
    while not serial.turn.locked():
        time.sleep(0.001)
    started = time.monotonic()
    assert serial({}, lambda *a: None) == [b"ok"]
    waited = time.monotonic() - started
    released.set()
    stalled.join()
    assert WAIT_SECONDS <= waited < WAIT_SECONDS + 1


def test_a_request_waiting_outside_the_turn_lets_the_others_run():
    """A password's key derivation or a mail server's answer: the others need not wait."""
    outside, others_ran = threading.Event(), threading.Event()
    held_again = []

    def app(environ, start_response):
        if environ.get("hashing"):
            with outside_the_turn():
                outside.set()
                others_ran.wait(5)
            held_again.append(serial.turn.locked())
        else:
            others_ran.set()
        start_response("200 OK", [])
        return [b"ok"]

    serial = OneRequestAtATime(app)
    hashing = threading.Thread(target=serial, args=({"hashing": True}, lambda *a: None))
    hashing.start()
    outside.wait(5)
    started = time.monotonic()
    assert serial({}, lambda *a: None) == [b"ok"]
    assert time.monotonic() - started < WAIT_SECONDS  # no wait for its turn
    hashing.join()
    assert held_again == [True]  # the turn taken again after the wait
    assert not serial.turn.locked()  # and given up at the end


def test_a_sign_in_derives_the_password_key_outside_the_turn(make_app, make_user, monkeypatch):
    from trainer.models import users

    app = make_app(TRAINER_SERIAL_REQUESTS=True)
    make_user(email=OWNER)
    turn_held = []
    check = users.check_password_hash

    def checking(stored, password):
        turn_held.append(app.wsgi_app.turn.locked())
        return check(stored, password)

    monkeypatch.setattr(users, "check_password_hash", checking)
    assert attempt(app.test_client(), PASSWORD, "203.0.113.9") == 302
    assert turn_held == [False]


def test_the_app_takes_turns_on_sqlite_only(make_app):
    app = make_app()
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert isinstance(app.wsgi_app, OneRequestAtATime) is sqlite
    assert app.test_client().get("/login").status_code == 200
