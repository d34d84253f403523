"""A double click on "Register" (or on an admin's "Create account") makes the account once, and
the second answer is the first one's: the same page next, the same messages, signed in, and no
second email (trainer/submissions.py; the account keeps its form's token). A token never reaches
an account made by someone else: with another address, or another password, it is a new
submission."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, sign_in
from tests.mail_support import SMTPServer, smtp_settings
from trainer.extensions import db
from trainer.models import AuditEntry, Cohort, InviteCode, Profession, Role, User
from trainer.models.types import utcnow

TOKEN = re.compile(r'name="submission" type="hidden" value="([^"]+)"')
LANGUAGES = {"en": {"Accept-Language": "en"}, "ru": {"Accept-Language": "ru"}}
SENT = {
    "en": "We sent a link to new@example.org: open it to confirm your address.",
    "ru": "Мы отправили ссылку на new@example.org: откройте её, чтобы подтвердить адрес.",
}
NOT_SENT = {
    "en": "We could not send the link to confirm your address",
    "ru": "Не удалось отправить ссылку для подтверждения адреса",
}
WELCOME = {
    "en": "Welcome, Новый Человек! Your account is ready.",
    "ru": "Добро пожаловать, Новый Человек! Ваша учётная запись создана.",
}


def registration(token: str, email="new@example.org", password=PASSWORD, code="") -> dict:
    return {"code": code, "name": "Новый Человек", "email": email, "profession": "police",
            "locale": "ru", "password": password, "confirm": password,
            "submission": token}  # fmt: skip


def form_token(client, url: str, headers=None) -> str:
    page = client.get(url, headers=headers)
    assert page.status_code == 200, page.text
    assert "no-store" in page.headers["Cache-Control"]  # going back fetches a new token
    return TOKEN.search(page.text).group(1)


def flashed(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def double_click(app, data: dict, headers: dict):
    """The form sent twice before the first answer came: both requests carry the cookies the
    page had (none: the visitor is not signed in), and the browser shows the second answer."""
    first, second = app.test_client(), app.test_client()
    answers = [client.post("/register", data=data, headers=headers) for client in (first, second)]
    return answers, [flashed(first), flashed(second)], second


def accounts_of(app, email: str) -> list[User]:
    with app.app_context():
        found = list(db.session.scalars(select(User).where(User.email == email)))
        db.session.expunge_all()
        return found


def created_rows(app) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == "account_created")
        return list(db.session.scalars(query.order_by(AuditEntry.id)))


@pytest.fixture
def open_app(make_app, smtp_server):
    return make_app(TRAINER_OPEN_REGISTRATION=True, **smtp_settings(smtp_server.port))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_register_clicked_twice_makes_one_account_sends_one_mail_and_answers_alike(
    open_app, smtp_server, lang
):
    headers = LANGUAGES[lang]
    token = form_token(open_app.test_client(), "/register", headers)

    answers, messages, shown = double_click(open_app, registration(token), headers)

    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"] == "/learn/my"
    assert messages[0] == messages[1] == [("info", SENT[lang]), ("success", WELCOME[lang])]
    [account] = accounts_of(open_app, "new@example.org")
    assert account.submission_token == token
    assert len(smtp_server.inbox.to("new@example.org")) == 1  # the second answer sent nothing
    assert len(created_rows(open_app)) == 1
    page = shown.get("/learn/my", headers=headers)  # the page the second answer leads to
    assert page.status_code == 200 and "new@example.org" in page.text  # signed in


def test_the_second_answer_says_the_link_was_not_sent_when_the_first_could_not(make_app):
    server = SMTPServer()  # nothing listens on its port
    app = make_app(TRAINER_OPEN_REGISTRATION=True, **smtp_settings(server.port))
    for lang, headers in LANGUAGES.items():
        email = f"{lang}@example.org"
        token = form_token(app.test_client(), "/register", headers)
        _answers, messages, _shown = double_click(app, registration(token, email), headers)
        assert messages[0] == messages[1]
        assert messages[1][0][0] == "warning" and messages[1][0][1].startswith(NOT_SENT[lang])
    assert [row.details["verification_link"] for row in created_rows(app)] == ["not_sent"] * 2
    # The audit log says it too, in the reader's language.
    admin = app.test_client()
    with app.app_context():
        from trainer.accounts import create_user

        create_user("root@example.org", "Админ", PASSWORD, role=Role.ADMIN)
        db.session.commit()
    admin.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    log = admin.get("/admin/audit", headers=LANGUAGES["en"]).text
    assert "link to confirm the address: not sent: the mail server was not available" in log
    log = admin.get("/admin/audit", headers=LANGUAGES["ru"]).text
    assert "ссылка для подтверждения адреса: не отправлена: почтовый сервер был недоступен" in log


def test_a_cohort_invite_code_is_used_once_by_a_double_click(app, make_user):
    trainer = make_user(role=Role.TRAINER, profession=Profession.OTHER)
    with app.app_context():
        cohort = Cohort(name="Группа", professions=["police"], created_by_id=trainer.id)
        db.session.add(cohort)
        db.session.flush()
        invite = InviteCode(expires_at=utcnow().replace(year=2100), max_uses=5, cohort_id=cohort.id)
        db.session.add(invite)
        db.session.commit()
        code, invite_id = invite.code, invite.id
    token = form_token(app.test_client(), f"/register?code={code}")

    answers, messages, shown = double_click(app, registration(token, code=code), LANGUAGES["en"])

    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert messages[0] == messages[1] == [("success", WELCOME["en"])]  # no link: the code vouches
    with app.app_context():
        assert db.session.get(InviteCode, invite_id).uses == 1
        enrolled = select(func.count()).where(AuditEntry.action == "enrolled")
        assert db.session.scalar(enrolled) == 1
    assert len(accounts_of(app, "new@example.org")) == 1
    assert shown.get("/learn/my").status_code == 200


def test_a_repeat_that_finds_the_address_taken_by_its_own_first_submission_answers_alike(
    open_app, smtp_server, monkeypatch
):
    """Sent at once: the second submission looked for its token before the first committed,
    and finds the address taken when it makes the account. It answers as the first did."""
    from trainer.auth import views

    token = form_token(open_app.test_client(), "/register")
    first = open_app.test_client().post("/register", data=registration(token))
    # The view's lookup, made before the first submission committed, found nothing.
    monkeypatch.setattr(views, "submission_of", lambda form: (token, None))
    second = open_app.test_client()

    again = second.post("/register", data=registration(token), headers=LANGUAGES["en"])

    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == "/learn/my"
    assert flashed(second) == [("info", SENT["en"]), ("success", WELCOME["en"])]
    assert len(accounts_of(open_app, "new@example.org")) == 1
    assert len(smtp_server.inbox.to("new@example.org")) == 1


def test_the_same_token_with_another_address_is_a_new_registration(open_app, smtp_server):
    token = form_token(open_app.test_client(), "/register")
    app = open_app
    first = app.test_client().post("/register", data=registration(token))
    other = app.test_client()
    again = other.post("/register", data=registration(token, email="other@example.org"))

    assert first.status_code == again.status_code == 302
    [theirs] = accounts_of(app, "other@example.org")
    assert theirs.submission_token not in (None, token)  # a token of its own
    assert len(smtp_server.inbox.to("other@example.org")) == 1
    page = other.get("/account/", headers=LANGUAGES["en"]).text
    assert "other@example.org" in page and "new@example.org" not in page


def test_the_same_token_and_address_with_another_password_opens_nothing(open_app):
    token = form_token(open_app.test_client(), "/register")
    open_app.test_client().post("/register", data=registration(token))
    stranger = open_app.test_client()

    page = stranger.post(
        "/register", data=registration(token, password="another-password-1"),
        headers=LANGUAGES["en"],
    )  # fmt: skip

    assert page.status_code == 200
    assert "An account with this email already exists. Sign in instead." in page.text
    assert stranger.get("/learn/my").status_code == 302  # not signed in
    assert len(accounts_of(open_app, "new@example.org")) == 1


def test_registering_again_from_a_new_page_is_refused_as_before(open_app):
    """A new page is a new form: the address that has an account is refused, as ever."""
    client = open_app.test_client()
    client.post("/register", data=registration(form_token(client, "/register")))
    fresh = open_app.test_client()
    page = fresh.post(
        "/register", data=registration(form_token(fresh, "/register")), headers=LANGUAGES["ru"]
    )
    assert "Учётная запись с этим адресом электронной почты уже существует." in page.text


# An administrator's "New account" ------------------------------------------------------------


def new_account(token: str, email="made@example.org") -> dict:
    return {"name": "Пётр Иванов", "email": email, "role": "trainer", "profession": "judge",
            "password": PASSWORD, "confirm": PASSWORD, "submission": token}  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_new_user_clicked_twice_makes_one_account_and_answers_alike(app, make_user, lang):
    headers = LANGUAGES[lang]
    admin = app.test_client()
    sign_in(admin, make_user(role=Role.ADMIN, profession=Profession.OTHER))
    token = form_token(admin, "/admin/users/new", headers)

    first = admin.post("/admin/users/new", data=new_account(token), headers=headers)
    first_messages = flashed(admin)
    again = admin.post("/admin/users/new", data=new_account(token), headers=headers)

    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"] == "/admin/users"
    expected = {
        "en": "Account created for Пётр Иванов.",
        "ru": "Учётная запись создана: Пётр Иванов.",
    }
    assert first_messages == flashed(admin) == [("success", expected[lang])]
    [made] = accounts_of(app, "made@example.org")
    assert (made.role, made.submission_token) == (Role.TRAINER, token)
    assert len(created_rows(app)) == 1


def test_an_admins_repeat_that_finds_the_address_taken_by_its_first_submission_answers_alike(
    app, make_user, monkeypatch
):
    from trainer.admin import views

    admin = app.test_client()
    sign_in(admin, make_user(role=Role.ADMIN, profession=Profession.OTHER))
    token = form_token(admin, "/admin/users/new")
    admin.post("/admin/users/new", data=new_account(token))
    first_messages = flashed(admin)
    looked = views.submission_of

    def lookup(form, token_taken=None):
        # The view's first lookup, made before the first submission committed, found nothing.
        return looked(form, token_taken) if token_taken else (token, None)

    monkeypatch.setattr(views, "submission_of", lookup)

    again = admin.post("/admin/users/new", data=new_account(token))

    assert again.status_code == 302 and again.headers["Location"] == "/admin/users"
    assert flashed(admin) == first_messages
    assert len(accounts_of(app, "made@example.org")) == 1
    assert len(created_rows(app)) == 1


def test_another_admins_token_makes_nothing_of_the_first_admins(app, make_user):
    first_admin, second_admin = app.test_client(), app.test_client()
    sign_in(first_admin, make_user(role=Role.ADMIN, profession=Profession.OTHER))
    sign_in(second_admin, make_user(role=Role.ADMIN, profession=Profession.OTHER))
    token = form_token(first_admin, "/admin/users/new")
    first_admin.post("/admin/users/new", data=new_account(token))

    page = second_admin.post("/admin/users/new", data=new_account(token), headers=LANGUAGES["en"])
    assert page.status_code == 200  # not the first admin's answer: their own refusal
    assert "An account with this email already exists." in page.text

    other = second_admin.post("/admin/users/new", data=new_account(token, "b@example.org"))
    assert other.status_code == 302
    [made] = accounts_of(app, "b@example.org")
    assert made.submission_token not in (None, token)
