"""Behind a reverse proxy: the client's address comes from X-Forwarded-For only when the proxy
is configured (TRAINER_PROXY_HOPS), and static files have versioned URLs cached for a year."""

import re

import pytest

from tests.conftest import PASSWORD
from trainer.config import ConfigError, build_config

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
