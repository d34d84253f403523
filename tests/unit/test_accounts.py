from datetime import timedelta

import pytest

from trainer import accounts, create_app
from trainer.extensions import db
from trainer.models import InviteCode, Role
from trainer.models.types import utcnow


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_email_is_stored_normalized_and_unique(ctx):
    accounts.create_user(" Anna@Example.ORG ", "Анна", "long-password-1")
    assert accounts.find_by_email("anna@example.org").name == "Анна"
    with pytest.raises(accounts.EmailTaken):
        accounts.create_user("ANNA@example.org", "Другая Анна", "long-password-2")


def test_a_fullwidth_address_is_the_same_account(ctx):
    accounts.create_user("ivan@example.org", "Иван", "long-password-1")
    assert accounts.find_by_email("ｉｖａｎ@ｅｘａｍｐｌｅ.org").name == "Иван"
    with pytest.raises(accounts.EmailTaken):
        accounts.create_user("ＩＶＡＮ@example.org", "Другой Иван", "long-password-2")


def test_password_is_hashed_with_scrypt_by_default(make_app):
    app = make_app(
        PASSWORD_HASH_METHOD=create_app({"SECRET_KEY": "x"}).config["PASSWORD_HASH_METHOD"]
    )
    with app.app_context():
        user = accounts.create_user("a@example.org", "A", "long-password-1")
        assert user.password_hash.startswith("scrypt:")
        assert "long-password-1" not in user.password_hash
        assert accounts.authenticate("a@example.org", "long-password-1") is user


def test_authenticate(ctx):
    user = accounts.create_user("a@example.org", "A", "long-password-1")
    assert accounts.authenticate("A@example.org", "long-password-1") is user
    assert user.last_login_at is not None
    assert accounts.authenticate("a@example.org", "wrong") is None
    assert accounts.authenticate("nobody@example.org", "long-password-1") is None
    accounts.set_active(user, False)
    assert accounts.authenticate("a@example.org", "wrong") is None  # reveals nothing
    with pytest.raises(accounts.AccountDeactivated):  # only the right password is told
        accounts.authenticate("a@example.org", "long-password-1")


def test_password_change_and_deactivation_end_sessions(ctx):
    user = accounts.create_user("a@example.org", "A", "long-password-1")
    db.session.flush()
    first = user.get_id()
    accounts.set_password(user, "long-password-2")
    second = user.get_id()
    accounts.set_active(user, False)
    assert len({first, second, user.get_id()}) == 3


def _invite(**fields):
    invite = InviteCode(expires_at=utcnow() + timedelta(days=1), **fields)
    db.session.add(invite)
    db.session.flush()
    return invite


def test_invite_is_used_up_after_max_uses(ctx):
    invite = _invite(max_uses=2, role=Role.TRAINER)
    assert accounts.redeem_invite(invite.code.lower()).role == Role.TRAINER
    accounts.redeem_invite(invite.code)
    with pytest.raises(accounts.InviteUnusable, match="used_up"):
        accounts.redeem_invite(invite.code)
    assert invite.uses == 2


def test_expired_and_unknown_invites(ctx):
    invite = _invite()
    with pytest.raises(accounts.InviteUnusable, match="expired"):
        accounts.redeem_invite(invite.code, now=utcnow() + timedelta(days=2))
    with pytest.raises(accounts.InviteUnusable, match="unknown"):
        accounts.redeem_invite("NO-SUCH-CODE")


def test_invite_codes_are_unguessable_and_distinct():
    from trainer.models.users import new_invite_code

    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 12 for c in codes)


def imported_user(email="imported@example.org"):
    from trainer.learning.enrolment import unusable_password

    user = accounts.create_user(email, "Импорт", "long-password-1")
    user.password_hash = unusable_password()
    db.session.flush()
    return user


def test_activation_codes_are_stored_hashed_and_typed_in_any_form(ctx):
    user = imported_user()
    admin = accounts.create_user("a@example.org", "A", "long-password-1", role=Role.ADMIN)
    [(issued_to, code)] = accounts.issue_activation_codes([user, admin], admin)
    assert issued_to is user and len(code) == 24 and code.count("-") == 4
    assert accounts.activation_hash(code) == accounts.activation_hash(
        code.lower().replace("-", " ")
    )
    assert accounts.find_activation(code.lower()).user is user
    assert accounts.find_activation("not-the-code") is None


def test_an_activation_code_works_once_and_only_until_it_expires(ctx):
    user = imported_user()
    [(_, code)] = accounts.issue_activation_codes([user], user)
    later = utcnow() + timedelta(days=accounts.ACTIVATION_DAYS, seconds=1)
    assert accounts.find_activation(code, later) is None
    activated = accounts.activate_account(code, " Иван ", "long-password-2", "en")
    assert activated is user and user.check_password("long-password-2")
    assert (user.name, user.locale, user.awaits_activation) == ("Иван", "en", False)
    assert accounts.activate_account(code, "Someone", "long-password-3", None) is None
    assert accounts.issue_activation_codes([user], user) == []  # nothing left to activate


def test_a_new_sheet_replaces_the_codes_of_the_old_one(ctx):
    user = imported_user()
    [(_, first)] = accounts.issue_activation_codes([user], user)
    [(_, second)] = accounts.issue_activation_codes([user], user)
    assert accounts.find_activation(first) is None
    assert accounts.find_activation(second) is not None
