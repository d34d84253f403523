"""`flask users create` refuses the addresses the registration and admin forms refuse, with their
message (in English, as the command line speaks), exits non-zero and creates nothing."""

import html
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, sign_in
from trainer.extensions import db
from trainer.models import AuditEntry, Profession, Role, User

REFUSED = [
    "ivаn@example.org",  # a Cyrillic "а" in a Latin word: no mail reaches it
    "почтa@пример.рф",  # a Latin "a" in a Cyrillic word
    "not-an-address",
    "two@@example.org",
    "a" * 250 + "@example.org",  # longer than an address may be
    "",
]
ERROR = re.compile(r'<div class="error" id="email-error"><p>([^<]+)</p>')


def created(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def web_message(app, admin, email: str) -> str:
    """What the admin's "New account" form says about the address."""
    data = {"name": "Иван", "email": email, "role": "learner", "profession": "police",
            "password": PASSWORD, "confirm": PASSWORD}  # fmt: skip
    page = admin.post("/admin/users/new", data=data, headers={"Accept-Language": "en"}).text
    return html.unescape(ERROR.search(page).group(1))


@pytest.mark.parametrize("email", REFUSED, ids=range(len(REFUSED)))
def test_the_command_line_refuses_what_the_forms_refuse_with_their_message(app, make_user, email):
    admin = app.test_client()
    sign_in(admin, make_user(role=Role.ADMIN, profession=Profession.OTHER))
    expected = web_message(app, admin, email)
    before = created(app)

    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", email, "--name", "Иван", "--password", PASSWORD]
    )

    assert result.exit_code != 0
    assert expected in result.output
    assert created(app) == before
    with app.app_context():
        made = select(func.count()).where(AuditEntry.action == "account_created")
        assert db.session.scalar(made) == 0


def test_the_command_line_still_creates_a_good_address(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Иван@Почта.рф", "--name", "Иван", "--password",
              PASSWORD]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "иван@почта.рф"
