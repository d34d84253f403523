"""Every route, every role: who gets the page, who is refused, who is sent to sign in."""

import pytest

from tests.conftest import sign_in
from trainer.models import Role

ANON, LEARNER, TRAINER, ADMIN = "anonymous", "learner", "trainer", "admin"
OK, LOGIN, FORBIDDEN = 200, 302, 403

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
    covered = {(m, p.replace("{other}", "<int:user_id>")) for m, p in MATRIX}
    assert routes - tested_elsewhere == covered


@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_access_by_role(make_app, make_user, route):
    app = make_app()
    other = make_user(role=Role.LEARNER, email="other@example.org")
    users = {role: make_user(role=r, email=f"{role}@example.org") for role, r in ROLES.items()}
    method, path = route
    for role, expected in MATRIX[route].items():
        client = app.test_client()
        if role != ANON:
            sign_in(client, users[role])
        response = client.open(path.format(other=other.id), method=method, data={})
        if expected == OK and method == "POST":
            assert response.status_code in (200, 302), role  # form errors or saved
        else:
            assert response.status_code == expected, role
