"""Sign-in throttling: guessing from one address is stopped, the owner elsewhere still gets in,
and with Redis the counts hold across workers (two app instances stand for two workers)."""

import time

import pytest

from tests.conftest import PASSWORD
from trainer.config import ConfigError, check_workers

OWNER = "officer@example.org"
FAST = {"LOGIN_SLOWDOWN_SECONDS": 0.01}


def attempt(client, password: str, address: str):
    return client.post(
        "/login",
        data={"email": OWNER, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept-Language": "en"},
    )


def test_guessing_address_is_refused_and_the_owner_still_signs_in(make_app, make_user):
    app = make_app(**FAST)
    make_user(email=OWNER)
    client = app.test_client()
    codes = [attempt(client, "wrong-password", "203.0.113.9").status_code for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    refused = attempt(client, PASSWORD, "203.0.113.9")
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.text
    owner = app.test_client()
    started = time.monotonic()
    assert attempt(owner, PASSWORD, "198.51.100.7").status_code == 302
    assert time.monotonic() - started >= 0.01  # slowed down, not blocked


def test_with_rate_limits_switched_off_sign_in_works_and_counts_nothing(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=False, **FAST)
    make_user(email=OWNER)
    client = app.test_client()
    codes = [attempt(client, "wrong-password", "203.0.113.9").status_code for _ in range(8)]
    assert codes == [200] * 8
    assert attempt(client, PASSWORD, "203.0.113.9").status_code == 302


def test_with_redis_the_limits_hold_across_workers(make_app, make_user, redis_url):
    workers = [make_app(RATELIMIT_STORAGE_URI=redis_url, **FAST) for _ in range(2)]
    make_user(email=OWNER)
    clients = [app.test_client() for app in workers]
    codes = [attempt(clients[n % 2], "wrong-password", "203.0.113.9").status_code for n in range(8)]
    assert codes == [200] * 5 + [429] * 3
    assert attempt(clients[1], PASSWORD, "198.51.100.7").status_code == 302


def test_the_address_limit_counts_every_account(make_app, make_user, redis_url):
    workers = [make_app(RATELIMIT_STORAGE_URI=redis_url, LOGIN_RATE_LIMIT_ADDRESS="10 per minute")
               for _ in range(2)]  # fmt: skip
    clients = [app.test_client() for app in workers]
    address = {"REMOTE_ADDR": "203.0.113.9"}
    codes = [
        clients[n % 2]
        .post(
            "/login",
            data={"email": f"u{n}@example.org", "password": "x" * 12},
            environ_base=address,
        )
        .status_code
        for n in range(16)
    ]
    assert codes.count(429) == 6


def test_production_refuses_several_workers_counting_in_memory():
    production = {"TRAINER_ENV": "production", "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        check_workers(2, production)
    check_workers(1, production)
    check_workers(2, {**production, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"})
