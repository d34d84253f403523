"""Email addresses, against a real SMTP server: open registration waits for the link sent to
the address (notice on every page, no certificate until then); an email change takes effect
only from the link sent to the new address, once, before it expires."""

import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in, sync_example
from tests.mail_support import SMTPServer, links, smtp_settings, text_part
from tests.web.certificates_support import complete_example
from trainer import email_verification
from trainer.extensions import db
from trainer.models import InviteCode, Role, User
from trainer.models.types import utcnow

EN = {"Accept-Language": "en"}


def subject(message) -> str:
    return " ".join(str(message["Subject"]).split())


def path_of(url: str) -> str:
    return urlsplit(url).path


def register(client, email="new@example.org", locale="ru", code=""):
    return client.post(
        "/register",
        data={"code": code, "name": "Новый Человек", "email": email, "profession": "police",
              "locale": locale, "password": PASSWORD, "confirm": PASSWORD},
        headers=EN,
    )  # fmt: skip


def account(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


@pytest.fixture
def open_app(make_app, smtp_server):
    return make_app(TRAINER_OPEN_REGISTRATION=True, **smtp_settings(smtp_server.port))


def test_open_registration_waits_for_the_link(open_app, smtp_server):
    sync_example(open_app)
    client = open_app.test_client()
    assert register(client).status_code == 302
    user = account(open_app, "new@example.org")
    assert user.email_verified_at is None
    [message] = smtp_server.inbox.to("new@example.org")
    assert subject(message) == "Подтвердите адрес электронной почты"  # the language chosen
    assert "Новый Человек" in text_part(message)

    page = client.get("/learn/", headers=EN)
    assert page.status_code == 200  # signed in, may learn
    assert "Подтвердите адрес электронной почты new@example.org" in page.text  # theirs: ru
    certificate = complete_example(open_app, user)
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 403

    link = next(url for url in links(message) if "/verify-email/" in url)
    done = client.get(path_of(link), follow_redirects=True)
    assert "адрес new@example.org подтверждён" in done.text
    assert "Подтвердите адрес электронной почты" not in done.text
    assert account(open_app, "new@example.org").email_verified_at is not None
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 200
    # Following it again changes nothing and is no error.
    assert client.get(path_of(link)).status_code == 302


def test_registering_with_an_invite_code_needs_no_link(open_app, smtp_server):
    with open_app.app_context():
        invite = InviteCode(expires_at=utcnow().replace(year=2100), max_uses=5)
        db.session.add(invite)
        db.session.commit()
        code = invite.code
    assert register(open_app.test_client(), code=code).status_code == 302
    assert account(open_app, "new@example.org").email_verified_at is not None
    assert smtp_server.messages == []


def test_a_new_link_from_the_notice(open_app, smtp_server):
    client = open_app.test_client()
    register(client, locale="en")
    first = next(url for url in links(smtp_server.messages[0]) if "/verify-email/" in url)
    page = client.post("/verify-email/resend", headers=EN, follow_redirects=True)
    assert "We sent a new link to new@example.org" in page.text
    assert len(smtp_server.inbox.to("new@example.org")) == 2
    assert subject(smtp_server.messages[1]) == "Confirm your email address"
    assert client.get(path_of(first)).status_code == 302  # either link works


def test_registration_with_the_mail_server_down(make_app):
    server = SMTPServer()  # nothing listens on its port yet
    app = make_app(TRAINER_OPEN_REGISTRATION=True, **smtp_settings(server.port))
    client = app.test_client()
    response = register(client, locale="en")
    assert response.status_code == 302  # the account is made, the person signed in
    page = client.get("/", headers=EN).text
    assert "We could not send the link to confirm your address" in page
    page = client.post("/verify-email/resend", headers=EN, follow_redirects=True).text
    assert "The mail server is not available, so no link was sent." in page
    server.start()
    try:
        page = client.post("/verify-email/resend", headers=EN, follow_redirects=True).text
        assert "We sent a new link" in page and len(server.messages) == 1
    finally:
        server.stop()


def old_token(app, monkeypatch, make, *args):
    """A token signed eight days ago (verification links last seven, change links one)."""
    with app.test_request_context():
        stamp = int(time.time()) - 8 * 86400
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: stamp)
        token = make(*args)
        monkeypatch.undo()
        return token


def test_expired_and_tampered_links_say_so(open_app, smtp_server, monkeypatch):
    client = open_app.test_client()
    register(client, locale="en")
    user = account(open_app, "new@example.org")
    expired = old_token(open_app, monkeypatch, email_verification.verification_token, user)
    page = client.get(f"/verify-email/{expired}", headers=EN)
    assert page.status_code == 400 and "The link has expired." in page.text
    assert "Send me a new link" in page.text
    page = client.get(f"/verify-email/{expired[:-3]}xyz", headers=EN)
    assert page.status_code == 400 and "The link is not complete" in page.text
    assert account(open_app, "new@example.org").email_verified_at is None


# Changing the address ------------------------------------------------------------------------


@pytest.fixture
def member(mail_app, make_user):
    user = make_user(email="old@example.org", name="Анна Смирнова", locale="en")
    client = mail_app.test_client()
    sign_in(client, user)
    return user, client


def change(client, email, password=PASSWORD):
    return client.post("/account/email", data={"email": email, "current": password},
                       headers=EN, follow_redirects=True)  # fmt: skip


def test_an_email_change_takes_effect_from_the_new_address(mail_app, smtp_server, member):
    user, client = member
    page = change(client, "New@Example.org")
    assert "We sent a link to new@example.org" in page.text
    assert account(mail_app, "old@example.org").id == user.id  # not changed yet
    assert smtp_server.inbox.to("old@example.org") == []
    [message] = smtp_server.inbox.to("new@example.org")
    assert subject(message) == "Confirm your new email address"
    assert "instead of old@example.org" in text_part(message)

    link = next(url for url in links(message) if "/account/email/confirm/" in url)
    done = client.get(path_of(link), headers=EN, follow_redirects=True)
    assert "Your email address is now new@example.org" in done.text
    changed = account(mail_app, "new@example.org")
    assert changed.id == user.id and changed.email_verified_at is not None
    [notice] = smtp_server.inbox.to("old@example.org")
    assert subject(notice) == "Your email address was changed"
    assert "new@example.org" in text_part(notice)

    again = client.get(path_of(link), headers=EN)
    assert again.status_code == 400 and "used already" in again.text
    other = mail_app.test_client()
    assert sign_in(other, changed).status_code == 302  # signs in with the new address


def test_an_email_change_refuses_bad_requests(mail_app, smtp_server, member, make_user):
    _user, client = member
    make_user(email="taken@example.org")
    assert "The current password is not correct." in change(client, "x@example.org", "wrong").text
    assert "This is your address already." in change(client, "old@example.org").text
    assert "Another account has this address." in change(client, "taken@example.org").text
    assert smtp_server.messages == []


def test_a_change_link_expires_and_loses_to_a_later_owner(mail_app, smtp_server, member,
                                                         make_user, monkeypatch):  # fmt: skip
    user, client = member
    with mail_app.app_context():
        owner = db.session.get(User, user.id)
        expired = old_token(mail_app, monkeypatch, email_verification.change_token, owner,
                            "new@example.org")  # fmt: skip
    page = client.get(f"/account/email/confirm/{expired}", headers=EN)
    assert page.status_code == 400 and "The link has expired" in page.text
    change(client, "new@example.org")
    link = next(url for url in links(smtp_server.messages[0]) if "/confirm/" in url)
    make_user(email="new@example.org")  # someone registered the address meanwhile
    page = client.get(path_of(link), headers=EN)
    assert page.status_code == 400 and "Another account has this address now" in page.text
    assert account(mail_app, "old@example.org").id == user.id


def test_an_email_change_with_the_mail_server_down(make_app, make_user):
    server = SMTPServer()
    app = make_app(**smtp_settings(server.port))
    user = make_user(email="old@example.org", locale="en")
    client = app.test_client()
    sign_in(client, user)
    page = change(client, "new@example.org")
    assert page.status_code == 200
    assert "The mail server is not available, so no link was sent" in page.text
    assert account(app, "old@example.org").id == user.id


def test_staff_accounts_change_their_address_too(mail_app, smtp_server, make_user):
    trainer = make_user(role=Role.TRAINER, email="t@example.org", locale="ru")
    client = mail_app.test_client()
    sign_in(client, trainer)
    change(client, "t2@example.org")
    assert subject(smtp_server.messages[0]) == "Подтвердите новый адрес электронной почты"
