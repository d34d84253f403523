"""The members page's mail, against a real SMTP server: the cohort's invitation to addresses
(register with the code, or accept with an account), the personal activation links of
imported accounts; sending again never duplicates anything; a server that is down is a
message, never a 500, and nothing is recorded."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, sign_in
from tests.mail_support import SMTPServer, links, smtp_settings, text_part
from tests.web.test_cohorts import make_cohort
from trainer.extensions import db
from trainer.learning.enrolment import apply_enrolment, parse_roster, plan_enrolment
from trainer.models import (
    ActivationToken,
    Cohort,
    CohortMailing,
    CohortMember,
    InviteCode,
    MailingSubmission,
    Role,
    User,
)

EN = {"Accept-Language": "en"}


def subject(message) -> str:
    """The decoded subject (a long encoded one is folded onto a continuation line)."""
    return " ".join(str(message["Subject"]).split())

def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def setting(mail_app, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга Петрова",
                        locale="en")  # fmt: skip
    member = make_user(email="member@example.org")
    existing = make_user(email="existing@example.org", name="Пётр Иванов", locale="ru")
    cohort_id = make_cohort(mail_app, [trainer.id], [member.id], name="Тверь")
    client = mail_app.test_client()
    sign_in(client, trainer)
    return trainer, member, existing, cohort_id, client


def send(client, cohort_id, addresses, code="new", locale="en"):
    return client.post(
        f"/cohorts/{cohort_id}/invitations/email",
        data={"addresses": addresses, "code": code, "locale": locale},
        headers=EN,
        follow_redirects=True,
    )


def test_the_invitation_reaches_new_and_existing_addresses(mail_app, smtp_server, setting):
    _trainer, _member, existing, cohort_id, client = setting
    page = send(client, cohort_id, "new@example.org, existing@example.org\nmember@example.org")
    assert page.status_code == 200
    assert "Invitation sent to 2 addresses." in page.text
    assert "Already members, not sent: member@example.org" in page.text
    assert "new@example.org" in page.text  # invited by email, not registered yet

    [new] = smtp_server.inbox.to("new@example.org")
    assert subject(new) == "An invitation to the cohort “Тверь”"
    assert "Ольга Петрова invites you" in text_part(new)
    register = next(url for url in links(new) if "/register" in url)
    with mail_app.app_context():
        code = db.session.scalar(select(InviteCode.code).where(InviteCode.cohort_id == cohort_id))
    assert f"code={code}" in register

    [old] = smtp_server.inbox.to("existing@example.org")
    assert subject(old) == "Приглашение в группу «Тверь»"  # the account's own language
    assert any(path_of(url) == "/account/invitations" for url in links(old))
    with mail_app.app_context():
        pending = db.session.scalar(
            select(CohortMember).where(CohortMember.user_id == existing.id)
        )
        assert pending.pending

    # The new address follows the link and registers: it joins the cohort.
    visitor = mail_app.test_client()
    form = visitor.get(path_of(register), headers=EN)
    assert form.status_code == 200 and code in form.text
    registered = visitor.post(
        "/register",
        data={"code": code, "name": "Новый Человек", "email": "new@example.org",
              "profession": "police", "locale": "ru", "password": PASSWORD,
              "confirm": PASSWORD},
    )  # fmt: skip
    assert registered.status_code == 302
    with mail_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.org"))
        assert db.session.scalar(
            select(CohortMember).where(CohortMember.user_id == user.id)
        ).accepted_at is not None
    page = client.get(f"/cohorts/{cohort_id}/members", headers=EN).text
    assert "Invited by email, not registered yet" not in page


def test_sending_again_resends_and_duplicates_nothing(mail_app, smtp_server, setting):
    _trainer, _member, _existing, cohort_id, client = setting
    send(client, cohort_id, "new@example.org existing@example.org")
    with mail_app.app_context():
        code = db.session.scalar(select(InviteCode.code).where(InviteCode.cohort_id == cohort_id))
    page = send(client, cohort_id, "NEW@example.org;existing@example.org", code=code)
    assert "Invitation sent to 2 addresses." in page.text
    assert "sent 2 times" in page.text
    assert len(smtp_server.inbox.to("new@example.org")) == 2
    assert len(smtp_server.inbox.to("existing@example.org")) == 2
    assert count(mail_app, CohortMailing) == 2
    assert count(mail_app, CohortMember, CohortMember.cohort_id == cohort_id) == 2
    assert count(mail_app, User) == 3  # nobody's account was created
    assert count(mail_app, InviteCode) == 1  # the second mailing used the first code


def test_bad_addresses_send_nothing(mail_app, smtp_server, setting):
    _trainer, _member, _existing, cohort_id, client = setting
    page = send(client, cohort_id, "good@example.org, not-an-address")
    assert "Not valid email addresses, nothing was sent: not-an-address" in page.text
    assert smtp_server.messages == [] and count(mail_app, InviteCode) == 0
    page = send(client, cohort_id, "")
    assert "Enter at least one email address." in page.text


def test_an_address_mixing_latin_and_cyrillic_sends_nothing(mail_app, smtp_server, setting):
    # "mаria" with a Cyrillic "а" (a keyboard-layout switch): no mail reaches it, and the
    # registration form it would lead to refuses it.
    _trainer, _member, _existing, cohort_id, client = setting
    page = send(client, cohort_id, "good@example.org, m\u0430ria@example.org")
    assert "“m\u0430ria” mixes Latin and Cyrillic letters" in page.text
    assert "Nothing was sent." in page.text
    assert smtp_server.messages == [] and count(mail_app, InviteCode) == 0
    client.post("/language/ru", data={"next": "/"})  # the trainer reads Russian now
    ru = client.post(
        f"/cohorts/{cohort_id}/invitations/email",
        data={"addresses": "m\u0430ria@example.org", "code": "new", "locale": "ru"},
        follow_redirects=True,
    )
    assert "В «m\u0430ria» смешаны латинские и русские буквы" in ru.text
    assert "Ничего не отправлено." in ru.text
    assert smtp_server.messages == []


def imported(app, cohort_id):
    """Two accounts created from a roster for the cohort, not activated."""
    data = "name,email,profession,language\nИван Кузнецов,ivan@example.org,police,ru\n" \
           "Mary Smith,mary@example.org,judge,en\n".encode()  # fmt: skip
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        apply_enrolment(plan_enrolment(parse_roster(data).rows, cohort))
        db.session.commit()


def test_activation_links_by_email(mail_app, smtp_server, setting):
    _trainer, _member, _existing, cohort_id, client = setting
    imported(mail_app, cohort_id)
    page = client.get(f"/cohorts/{cohort_id}/members", headers=EN).text
    assert "2 accounts created for this cohort are not activated yet." in page
    page = client.post(f"/cohorts/{cohort_id}/activation/email", headers=EN,
                       follow_redirects=True).text  # fmt: skip
    assert "Activation links sent to 2 people." in page
    assert "activation link emailed on" in page
    [ivan] = smtp_server.inbox.to("ivan@example.org")
    assert subject(ivan) == "Активация учётной записи"
    [mary] = smtp_server.inbox.to("mary@example.org")
    assert subject(mary) == "Activate your account"
    first = next(url for url in links(mary) if "/activate/" in url)

    # One more, for Mary alone: her first link stops working, Ivan's keeps working.
    with mail_app.app_context():
        mary_id = db.session.scalar(select(User.id).where(User.email == "mary@example.org"))
    client.post(f"/cohorts/{cohort_id}/learners/{mary_id}/activation/email")
    second = next(url for url in links(smtp_server.inbox.to("mary@example.org")[1])
                  if "/activate/" in url)  # fmt: skip
    visitor = mail_app.test_client()
    assert visitor.get(path_of(first)).status_code == 404
    assert visitor.get(path_of(second)).status_code == 200
    assert count(mail_app, User) == 5  # nothing duplicated
    activated = visitor.post(
        path_of(second),
        data={"name": "Mary Smith", "locale": "en", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert activated.status_code == 302
    assert visitor.get("/account/", headers=EN).status_code == 200
    # Activated: no link for her any more.
    assert client.post(
        f"/cohorts/{cohort_id}/learners/{mary_id}/activation/email"
    ).status_code == 403


def test_mail_server_down_is_a_message_and_records_nothing(make_app, make_user):
    server = SMTPServer()  # nothing listens on its port yet
    app = make_app(**smtp_settings(server.port))
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    make_user(email="existing@example.org")
    cohort_id = make_cohort(app, [trainer.id], [])
    imported(app, cohort_id)
    client = app.test_client()
    sign_in(client, trainer)
    page = send(client, cohort_id, "new@example.org existing@example.org")
    assert page.status_code == 200
    assert "The mail server is not available: 2 messages were not sent." in page.text
    page = client.post(f"/cohorts/{cohort_id}/activation/email", headers=EN,
                       follow_redirects=True)  # fmt: skip
    assert page.status_code == 200 and "The mail server is not available" in page.text
    assert count(app, CohortMailing) == 0
    assert count(app, ActivationToken) == 0
    assert count(app, InviteCode) == 0
    assert count(app, CohortMember, CohortMember.accepted_at.is_(None)) == 0
    assert count(app, MailingSubmission) == 0  # the same forms may be sent again


def test_the_forms_refuse_a_post_without_csrf(make_app, make_user, smtp_server):
    app = make_app(WTF_CSRF_ENABLED=True, **smtp_settings(smtp_server.port))
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    cohort_id = make_cohort(app, [trainer.id], [])
    imported(app, cohort_id)
    client = app.test_client()
    token = client.get("/login").text.split('name="csrf_token" type="hidden" value="')[1]
    sign_in(client, trainer, csrf_token=token.split('"')[0])
    data = {"addresses": "new@example.org", "code": "new", "locale": "en"}
    assert client.post(f"/cohorts/{cohort_id}/invitations/email", data=data).status_code == 400
    assert client.post(f"/cohorts/{cohort_id}/activation/email").status_code == 400
    assert smtp_server.messages == []


def test_the_mail_posts_are_rate_limited(make_app, make_user, smtp_server):
    app = make_app(COHORT_MAIL_RATE_LIMIT="2 per hour", **smtp_settings(smtp_server.port))
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    cohort_id = make_cohort(app, [trainer.id], [])
    client = app.test_client()
    sign_in(client, trainer)
    assert send(client, cohort_id, "a@example.org").status_code == 200
    assert client.post(f"/cohorts/{cohort_id}/activation/email").status_code == 302
    refused = client.post(f"/cohorts/{cohort_id}/invitations/email",
                          data={"addresses": "b@example.org", "code": "new", "locale": "en"})
    assert refused.status_code == 429
    assert [m["To"] for m in smtp_server.messages] == ["a@example.org"]


def tokens(page: str) -> list[str]:
    """The one-use tokens of the page's mailing forms, in the page's order."""
    return re.findall(r'name="submission" type="hidden" value="([^"]+)"', page)


def test_a_mailing_form_sent_twice_sends_once(mail_app, smtp_server, setting):
    _trainer, _member, _existing, cohort_id, client = setting
    imported(mail_app, cohort_id)
    page = client.get(f"/cohorts/{cohort_id}/members", headers=EN).text
    invitation, activation, *_rows = tokens(page)
    data = {"addresses": "new@example.org", "code": "new", "locale": "en"}
    for _click in range(2):
        page = client.post(f"/cohorts/{cohort_id}/invitations/email", headers=EN,
                           data={**data, "submission": invitation}, follow_redirects=True).text
    assert "Sent once: the same form arrived twice." in page
    assert len(smtp_server.inbox.to("new@example.org")) == 1
    assert count(mail_app, InviteCode) == 1
    for _click in range(2):
        client.post(f"/cohorts/{cohort_id}/activation/email", data={"submission": activation})
    [mary] = smtp_server.inbox.to("mary@example.org")  # one link, and it still works
    assert mail_app.test_client().get(path_of(
        next(url for url in links(mary) if "/activate/" in url))).status_code == 200
    # The page shown again has new tokens: sending again is a new mailing.
    again = tokens(client.get(f"/cohorts/{cohort_id}/members", headers=EN).text)[0]
    assert again != invitation
    client.post(f"/cohorts/{cohort_id}/invitations/email", data={**data, "submission": again})
    assert len(smtp_server.inbox.to("new@example.org")) == 2
