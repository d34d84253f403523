"""Every route, every role: who gets the page, who is refused, who is sent to sign in."""

import pytest
from sqlalchemy import select

from tests.conftest import sign_in, sync_example
from trainer.extensions import db
from trainer.models import ModuleAsset, Role

ANON, LEARNER, TRAINER, ADMIN = "anonymous", "learner", "trainer", "admin"
OK, LOGIN, FORBIDDEN = 200, 302, 403
SIGNED_IN = {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK}

# (method, path) -> expected status per role. "{other}" is another user's id.
MATRIX = {
    ("GET", "/"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/healthz"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/login"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/register"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/account/"): {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/account/password"): {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/admin/users"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/admin/users/new"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/admin/users/{other}"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
    ("POST", "/admin/users/{other}"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
    ("GET", "/admin/invites"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("POST", "/admin/invites"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/learn/"): SIGNED_IN,
    ("GET", "/learn/my"): SIGNED_IN,
    ("GET", "/learn/{slug}/"): SIGNED_IN,
    ("POST", "/learn/{slug}/restart"): SIGNED_IN,
    ("GET", "/learn/{slug}/lessons/intro"): SIGNED_IN,
    ("POST", "/learn/{slug}/lessons/intro/done"): SIGNED_IN,
    ("GET", "/learn/{slug}/lessons/assets/{asset}"): SIGNED_IN,
}
# The concrete values behind the placeholders, and the URL rules they stand for.
PLACEHOLDERS = {
    "{other}": "<int:user_id>",
    "{slug}": "<slug>",
    "/intro": "/<lesson_id>",
    "{asset}": "<sha256>.<ext>",
}
ROLES = {LEARNER: Role.LEARNER, TRAINER: Role.TRAINER, ADMIN: Role.ADMIN}


def test_matrix_covers_every_route(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint != "static"
    }
    # Routes with their own tests: sign-in/out POSTs, the switcher, registration, form posts.
    tested_elsewhere = {
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/language/<lang>"),
        ("POST", "/register"),
        ("POST", "/account/"),
        ("POST", "/account/password"),
        ("POST", "/admin/users/new"),
    }
    covered = set()
    for method, path in MATRIX:
        for placeholder, rule in PLACEHOLDERS.items():
            path = path.replace(placeholder, rule)
        covered.add((method, path))
    assert routes - tested_elsewhere == covered


@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_access_by_role(make_app, make_user, route):
    app = make_app()
    sync_example(app)
    with app.app_context():
        asset = db.session.scalar(select(ModuleAsset.sha256))
    other = make_user(role=Role.LEARNER, email="other@example.org")
    users = {role: make_user(role=r, email=f"{role}@example.org") for role, r in ROLES.items()}
    method, path = route
    for role, expected in MATRIX[route].items():
        client = app.test_client()
        if role != ANON:
            sign_in(client, users[role])
        url = path.format(other=other.id, slug="example-module", asset=f"{asset}.png")
        response = client.open(url, method=method, data={})
        if expected == OK and (method == "POST" or "/done" in path):
            assert response.status_code in (200, 302), role  # form errors or saved
        else:
            assert response.status_code == expected, role
