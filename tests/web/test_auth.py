from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError

from tests.conftest import PASSWORD, sign_in
from trainer.accounts import create_user
from trainer.extensions import db
from trainer.models import InviteCode, Profession, Role, User
from trainer.models.types import utcnow
from trainer.security import signed_in_user

WRONG = "The email or password is not correct."


def test_sign_in_and_out(client, learner):
    response = sign_in(client, learner)
    assert response.status_code == 302
    assert "Анна Смирнова" in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    client.post("/logout")
    assert client.get("/account/").status_code == 302


def test_wrong_password_and_unknown_email_look_the_same(client, learner):
    wrong = sign_in(client, learner, password="not-the-password", next="")
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "whatever1"})
    for response in (wrong, unknown):
        assert response.status_code == 200
    assert wrong.get_data(as_text=True).count("error") == unknown.get_data(as_text=True).count(
        "error"
    )
    client.set_cookie("locale", "en")
    html = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": "x"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert WRONG in html


def test_failed_sign_in_keeps_the_email_but_not_the_password(client, learner):
    html = sign_in(client, learner, password="typed-secret-value").get_data(as_text=True)
    assert 'value="learner@example.org"' in html
    assert "typed-secret-value" not in html


def test_next_accepts_only_local_paths(client, learner):
    assert sign_in(client, learner, next="/account/").headers["Location"] == "/account/"
    client.post("/logout")
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        response = sign_in(client, learner, next=evil)
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_sign_out_ends_the_users_other_sessions(app, learner):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, learner)
    sign_in(phone, learner)
    assert phone.get("/account/").status_code == 200
    laptop.post("/logout")
    assert phone.get("/account/").status_code == 302


def test_the_signed_in_user_is_loaded_as_the_orm_would_load_it(app, learner):
    """signed_in_user reads the row with a plain statement: the object must still be the
    session's own, with every column as the ORM's types give it, and changes to it saved."""
    with app.app_context():
        expected = db.session.execute(select(User.__table__).where(User.id == learner.id)).one()
        db.session.remove()
        user = signed_in_user(db.session, learner.id)
        state = inspect(user)
        assert state.persistent and not state.modified and not state.expired_attributes
        assert {c.key: getattr(user, c.key) for c in User.__table__.columns} == expected._asdict()
        assert user.role is Role.LEARNER and user.created_at.tzinfo is not None
        assert db.session.get(User, learner.id) is user  # the session's one object for the row
        user.name = "Анна Петрова"
        db.session.commit()
        db.session.remove()
        assert db.session.get(User, learner.id).name == "Анна Петрова"
        assert signed_in_user(db.session, 10**9) is None


def test_the_signed_in_users_read_fails_as_sqlalchemy_fails(app, learner):
    """The read goes to the driver directly; its errors must still be SQLAlchemy's (the
    request retry knows those) and a lost connection must leave the pool."""
    with app.app_context():
        db.session.remove()
        db.session.connection().connection.dbapi_connection.close()  # the server went away
        with pytest.raises(DBAPIError) as lost:
            signed_in_user(db.session, learner.id)
        assert lost.value.connection_invalidated
        db.session.remove()
        assert signed_in_user(db.session, learner.id).email == learner.email  # a new connection


def test_the_profile_offers_the_pages_language_until_one_is_chosen(client, learner):
    sign_in(client, learner)
    html = client.get("/account/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option selected value="en">' in html
    assert '<option selected value="ru">' not in html


def test_remember_me_cookie_is_revoked_by_sign_out(app, learner):
    browser = app.test_client()
    sign_in(browser, learner, remember="y")
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    app.test_client().post("/login", data={"email": learner.email, "password": PASSWORD})
    other = app.test_client()
    sign_in(other, learner)
    other.post("/logout")
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember.value)
    assert stolen.get("/account/").status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(app, learner):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, learner)
    sign_in(elsewhere, learner)
    response = here.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302
    here.post("/logout")
    assert sign_in(here, learner).status_code == 200  # old password refused
    assert sign_in(here, learner, password="a-new-long-password").status_code == 302


def test_password_change_needs_the_current_password(client, learner):
    sign_in(client, learner)
    html = client.post(
        "/account/password",
        data={
            "current": "wrong-one",
            "password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "The current password is not correct." in html


def test_deactivated_user_cannot_sign_in_and_is_signed_out(app, learner, admin):
    learner_client, admin_client = app.test_client(), app.test_client()
    sign_in(learner_client, learner)
    sign_in(admin_client, admin)
    admin_client.post(
        f"/admin/users/{learner.id}",
        data={"name": learner.name, "role": "learner", "profession": "police"},
    )
    assert learner_client.get("/account/").status_code == 302
    assert sign_in(app.test_client(), learner).status_code == 200
    with app.app_context():
        assert db.session.get(User, learner.id) is not None  # records stay


def test_profile_saves_cyrillic_name_and_language(client, learner):
    sign_in(client, learner)
    client.post("/account/", data={"name": "Ёлкина Наталья Юрьевна", "locale": "en"})
    html = client.get("/account/").get_data(as_text=True)
    assert "Ёлкина Наталья Юрьевна" in html
    assert "My account" in html


def test_over_long_name_is_rejected_with_a_message(client, learner):
    sign_in(client, learner)
    response = client.post(
        "/account/", data={"name": "Я" * 500, "locale": "en"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert "At most 120 characters." in response.get_data(as_text=True)


def _invite(app, **fields) -> str:
    with app.app_context():
        invite = InviteCode(expires_at=utcnow() + timedelta(days=7), **fields)
        db.session.add(invite)
        db.session.commit()
        return invite.code


def _register(client, code, email="new@example.org", **extra):
    data = {
        "code": code,
        "name": "Пётр Иванов",
        "email": email,
        "profession": "police",
        "locale": "ru",
        "password": "long-enough-pass",
        "confirm": "long-enough-pass",
    }
    data.update(extra)
    return client.post("/register", data=data, headers={"Accept-Language": "en"})


def test_register_with_invite_code(app, client):
    code = _invite(app, role=Role.LEARNER, profession=Profession.JUDGE, max_uses=2)
    response = _register(client, code.lower())
    assert response.status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(email="new@example.org").one()
        assert user.profession == Profession.JUDGE and user.locale == "ru"
        assert db.session.query(InviteCode).one().uses == 1


def test_invite_code_limits(app, client):
    code = _invite(app, max_uses=1)
    assert _register(client, code).status_code == 302
    client.post("/logout")
    html = _register(client, code, email="second@example.org").get_data(as_text=True)
    assert "used as many times as allowed" in html
    assert "This invite code is not known" in _register(client, "NOPE").get_data(as_text=True)


def test_expired_invite_code_says_so(app, client):
    with app.app_context():
        invite = InviteCode(expires_at=utcnow() - timedelta(days=1))
        db.session.add(invite)
        db.session.commit()
        code = invite.code
    assert "has expired" in _register(client, code).get_data(as_text=True)


def test_registration_is_closed_without_code(make_app):
    client = make_app().test_client()
    assert "invite code is required" in _register(client, "").get_data(as_text=True)
    open_client = make_app(TRAINER_OPEN_REGISTRATION=True).test_client()
    assert _register(open_client, "").status_code == 302


def test_registering_a_taken_email_does_not_use_up_the_invite(app, client, learner):
    code = _invite(app, max_uses=1)
    html = _register(client, code, email=learner.email).get_data(as_text=True)
    assert "already exists" in html
    with app.app_context():
        assert db.session.query(InviteCode).one().uses == 0


def test_sign_in_is_rate_limited_per_account(client, learner):
    statuses = [sign_in(client, learner, password="wrong-guess").status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    # Another account from the same address is still allowed.
    assert (
        client.post("/login", data={"email": "x@example.org", "password": "y"}).status_code == 200
    )


def test_sign_in_is_rate_limited_per_address(make_app):
    client = make_app(LOGIN_RATE_LIMIT_ADDRESS="3 per minute").test_client()
    statuses = [
        client.post("/login", data={"email": f"u{i}@example.org", "password": "x"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_an_address_typed_across_keyboard_layouts_is_refused_at_registration_only(app, client):
    code = _invite(app, max_uses=2)
    html = _register(client, code, email="pеtr@example.org").get_data(as_text=True)  # Cyrillic е
    assert "“pеtr” mixes Latin and Cyrillic letters: check the keyboard layout" in html
    assert 'value="pеtr@example.org"' in html  # kept in the form, to be corrected
    with app.app_context():
        assert db.session.query(User).count() == 0
        # An account made before the check (or by the CLI) still signs in with its address.
        create_user("olеg@example.org", "Олег", "long-enough-pass", role=Role.LEARNER)
        db.session.commit()
    signed_in = client.post(
        "/login", data={"email": "olеg@example.org", "password": "long-enough-pass"}
    )
    assert signed_in.status_code == 302
