"""Password recovery against a real SMTP server (aiosmtpd): the message, its language, the
link's single use and expiry, the enumeration-safe answer, throttling, a server that is
down; links handed over by admins and trainers and printed by `flask users reset-password`;
and what a deactivated account is told at sign-in."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in
from tests.mail_support import free_port, html_part, links, smtp_settings, text_part
from tests.web.test_cohorts import make_cohort
from trainer import password_reset
from trainer.extensions import db, limiter
from trainer.learning.enrolment import enrol_users
from trainer.models import CohortMember, Role, User
from trainer.models.types import utcnow

EN = {"Accept-Language": "en"}
RU = {"Accept-Language": "ru"}
NEW_PASSWORD = "a-brand-new-password"


def ask_for_link(client, email, headers=RU, address="127.0.0.1"):
    return client.post(
        "/password/forgot",
        data={"email": email},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def only_link(smtp_server, email) -> str:
    [message] = smtp_server.inbox.to(email)
    [link] = [url for url in links(message) if "/password/reset/" in url]
    return urlsplit(link).path


def set_new_password(client, path, password=NEW_PASSWORD, headers=RU):
    return client.post(
        path, data={"password": password, "confirm": password}, headers=headers
    )


@pytest.fixture
def russian(make_user, mail_app):
    return make_user(email="ivan@example.org", name="Иван Петров", locale="ru")


@pytest.fixture
def english(make_user, mail_app):
    return make_user(email="ann@example.org", name="Ann Smith", locale="en")


def test_sign_in_page_offers_recovery(mail_app):
    page = mail_app.test_client().get("/login", headers=RU).text
    assert 'href="/password/forgot"' in page
    assert "Забыли пароль?" in page


def test_forgotten_password_by_email_in_russian(mail_app, smtp_server, russian):
    other_session = mail_app.test_client()
    sign_in(other_session, russian)
    client = mail_app.test_client()
    answer = ask_for_link(client, "Ivan@Example.org")
    assert answer.status_code == 302
    assert "Проверьте почту" in client.get(answer.location, headers=RU).text
    [message] = smtp_server.inbox.to(russian.email)
    assert message["Subject"] == "Сброс пароля"
    assert "Здравствуйте, Иван Петров!" in text_part(message)
    assert "в течение часа" in text_part(message)
    assert "в системе «Тренажёр»" in text_part(message)
    assert "Задать новый пароль" in html_part(message)
    path = only_link(smtp_server, russian.email)

    form = client.get(path, headers=RU)
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = set_new_password(client, path)
    assert done.status_code == 302
    assert "Ваш новый пароль" in client.get("/", headers=RU).text  # signed in, told so
    assert client.get("/account/").status_code == 200

    assert other_session.get("/account/").status_code == 302  # the other session ended
    assert sign_in(mail_app.test_client(), russian).status_code == 200  # old password: no
    assert sign_in(mail_app.test_client(), russian, NEW_PASSWORD).status_code == 302


def test_a_link_works_once(mail_app, smtp_server, russian):
    ask_for_link(mail_app.test_client(), russian.email)
    path = only_link(smtp_server, russian.email)
    assert set_new_password(mail_app.test_client(), path).status_code == 302
    again = mail_app.test_client().get(path, headers=EN)
    assert again.status_code == 410
    assert "already been used" in again.text
    assert 'href="/password/forgot"' in again.text  # offers a new link
    reused = set_new_password(mail_app.test_client(), path, "yet-another-password")
    assert reused.status_code == 410
    assert sign_in(mail_app.test_client(), russian, "yet-another-password").status_code == 200


def test_a_message_is_in_the_accounts_language(mail_app, smtp_server, english):
    ask_for_link(mail_app.test_client(), english.email, headers=RU)
    [message] = smtp_server.inbox.to(english.email)
    assert message["Subject"] == "Reset your password"
    assert "Hello, Ann Smith," in text_part(message)


def test_without_a_language_setting_the_page_language_is_used(mail_app, smtp_server, make_user):
    person = make_user(email="nolocale@example.org")
    ask_for_link(mail_app.test_client(), person.email, headers=EN)
    [message] = smtp_server.inbox.to(person.email)
    assert message["Subject"] == "Reset your password"


def test_the_answer_does_not_tell_who_has_an_account(mail_app, smtp_server, russian):
    known = ask_for_link(mail_app.test_client(), russian.email)
    unknown = ask_for_link(mail_app.test_client(), "nobody@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert smtp_server.inbox.to("nobody@example.org") == []
    assert len(smtp_server.messages) == 1


def test_an_account_awaiting_activation_is_told_to_ask_its_trainer(
    mail_app, smtp_server, russian
):
    with mail_app.app_context():
        user = db.session.get(User, russian.id)
        user.password_hash = "!imported"
        db.session.commit()
    assert ask_for_link(mail_app.test_client(), russian.email).status_code == 302
    [message] = smtp_server.inbox.to(russian.email)
    assert "ещё не активирована" in text_part(message)
    assert not [url for url in links(message) if "/password/reset/" in url]


def test_a_deactivated_account_gets_no_link(mail_app, smtp_server, russian):
    with mail_app.app_context():
        db.session.get(User, russian.id).active = False
        db.session.commit()
    assert ask_for_link(mail_app.test_client(), russian.email).status_code == 302
    assert smtp_server.messages == []


def test_an_expired_link_says_so_and_offers_a_new_one(mail_app, russian):
    with mail_app.app_context():
        user = db.session.get(User, russian.id)
        issued = utcnow() - timedelta(minutes=61)
        path = urlsplit(password_reset.reset_link(user, now=issued)).path
        fresh = password_reset.make_token(user, now=utcnow() - timedelta(minutes=59))
    answer = mail_app.test_client().get(path, headers=EN)
    assert answer.status_code == 410
    assert "This link has expired" in answer.text
    assert 'href="/password/forgot"' in answer.text
    assert mail_app.test_client().get(f"/password/reset/{fresh}").status_code == 200


def test_the_token_expires_after_an_hour_by_the_clock(mail_app, russian):
    with mail_app.app_context():
        user = db.session.get(User, russian.id)
        issued = utcnow()
        token = password_reset.make_token(user, now=issued)
        assert password_reset.check_token(token, now=issued + timedelta(minutes=59)).id == user.id
        with pytest.raises(password_reset.ResetLinkInvalid) as late:
            password_reset.check_token(token, now=issued + timedelta(minutes=61))
        assert late.value.reason == "expired"


def test_a_tampered_link_is_refused(mail_app, russian):
    with mail_app.app_context():
        token = password_reset.make_token(db.session.get(User, russian.id))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x", "a.b.c"):
        answer = mail_app.test_client().get(f"/password/reset/{bad}", headers=EN)
        assert answer.status_code == 400
        assert "This link is not valid" in answer.text
        assert 'href="/password/forgot"' in answer.text


def test_a_link_dies_when_the_password_changes(mail_app, russian):
    with mail_app.app_context():
        token = password_reset.make_token(db.session.get(User, russian.id))
    client = mail_app.test_client()
    sign_in(client, russian)
    client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    answer = mail_app.test_client().get(f"/password/reset/{token}", headers=EN)
    assert answer.status_code == 410


def test_bad_new_password_shows_the_form_again(mail_app, smtp_server, russian):
    ask_for_link(mail_app.test_client(), russian.email)
    path = only_link(smtp_server, russian.email)
    short = set_new_password(mail_app.test_client(), path, "short", headers=EN)
    assert short.status_code == 200
    assert "Between 10 and 128 characters." in short.text
    assert set_new_password(mail_app.test_client(), path).status_code == 302  # still usable


def test_a_flood_of_requests_for_one_address_is_throttled(mail_app, smtp_server, russian):
    answers = [ask_for_link(mail_app.test_client(), russian.email, EN) for _ in range(8)]
    assert [a.status_code for a in answers[:3]] == [302, 302, 302]
    assert {a.status_code for a in answers[3:]} == {429}
    assert "Several links were already sent" in answers[-1].text
    assert len(smtp_server.inbox.to(russian.email)) == 3
    # The same for an address without an account: the limit tells nobody anything.
    unknown = [
        ask_for_link(mail_app.test_client(), "nobody@example.org", EN, "10.0.0.2")
        for _ in range(4)
    ]
    assert [a.status_code for a in unknown] == [302, 302, 302, 429]
    assert "Several links were already sent" in unknown[-1].text


def test_many_addresses_from_one_place_are_throttled(make_app, smtp_server):
    app = make_app(**smtp_settings(smtp_server.port), PASSWORD_RESET_RATE_LIMIT_ADDRESS="5/minute")
    client = app.test_client()
    statuses = [ask_for_link(client, f"guess{n}@example.org").status_code for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2


def test_a_mail_server_that_is_down_fails_with_a_message(make_app, make_user, caplog):
    app = make_app(**smtp_settings(free_port()))  # nothing listens there
    caplog.set_level(logging.ERROR, logger="trainer.mail")
    with app.app_context():
        from trainer.accounts import create_user

        create_user("down@example.org", "Down", PASSWORD)
        db.session.commit()
    for email in ("down@example.org", "nobody@example.org"):  # the same answer for both
        answer = ask_for_link(app.test_client(), email, EN)
        assert answer.status_code == 503
        assert "the mail server is not answering" in answer.text
    assert "mail: could not send" in caplog.text
    assert "mail: server unavailable" in caplog.text
    for _ in range(3):
        ask_for_link(app.test_client(), "down@example.org", EN)
    # Nothing was counted as sent: the address may still ask for all its links.
    with app.test_request_context():
        key = password_reset._account_key("down@example.org")
        assert all(limiter.limiter.test(limit, *key) for limit in password_reset._account_limits())


def test_signed_in_people_change_their_password_on_their_account_page(mail_app, russian):
    client = mail_app.test_client()
    sign_in(client, russian)
    assert client.get("/password/forgot").location.endswith("/account/")


# Links handed over in person -----------------------------------------------------------------


def reset_link_page(client, person_id, headers=EN):
    return client.post(
        f"/users/{person_id}/reset-link", data={"next": "/admin/users"}, headers=headers
    )


def link_on(page) -> str:
    [link] = re.findall(r"<code>(https?://[^<]+)</code>", page.text)
    return urlsplit(link).path


def test_an_admin_creates_a_link_to_hand_over(app, admin, learner):
    client = app.test_client()
    sign_in(client, admin)
    assert "Create a password reset link" in client.get(
        f"/admin/users/{learner.id}", headers=EN
    ).text
    page = reset_link_page(client, learner.id)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "it is not shown again" in page.text
    path = link_on(page)
    person = app.test_client()
    assert set_new_password(person, path).status_code == 302
    assert person.get("/account/").status_code == 200
    assert sign_in(app.test_client(), learner, NEW_PASSWORD).status_code == 302


def test_a_trainer_creates_links_only_for_their_accepted_learners(app, make_user, learner):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    invited = make_user(email="invited@example.org")
    elsewhere = make_user(email="elsewhere@example.org")
    cohort = make_cohort(app, [trainer.id], [learner.id])
    make_cohort(app, [], [elsewhere.id], name="Чужая")
    with app.app_context():
        enrol_users(cohort, [invited.id], accepted=False)
        db.session.commit()
    client = app.test_client()
    sign_in(client, trainer)
    learner_page = client.get(f"/cohorts/{cohort}/learners/{learner.id}", headers=EN).text
    assert "Create a password reset link" in learner_page
    assert reset_link_page(client, learner.id).status_code == 200
    assert reset_link_page(client, invited.id).status_code == 403
    assert reset_link_page(client, elsewhere.id).status_code == 403
    with app.app_context():
        member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == learner.id))
        member.removed_at = utcnow()
        db.session.commit()
    assert reset_link_page(client, learner.id).status_code == 403


def test_the_command_line_prints_a_link(make_app, make_user):
    app = make_app(TRAINER_BASE_URL="https://learn.example.org")
    person = make_user(email="cli@example.org")
    result = app.test_cli_runner().invoke(args=["users", "reset-password", "CLI@example.org"])
    assert result.exit_code == 0, result.output
    [link] = re.findall(r"https://learn\.example\.org/password/reset/\S+", result.output)
    assert set_new_password(app.test_client(), urlsplit(link).path).status_code == 302
    assert sign_in(app.test_client(), person, NEW_PASSWORD).status_code == 302
    missing = app.test_cli_runner().invoke(args=["users", "reset-password", "no@example.org"])
    assert missing.exit_code != 0
    assert "no account has the email" in missing.output


# A deactivated account at sign-in ------------------------------------------------------------


def sign_in_en(client, email, password):
    return client.post("/login", data={"email": email, "password": password}, headers=EN)


def test_a_deactivated_account_is_told_whom_to_ask_after_the_right_password(
    app, make_user, learner
):
    trainer = make_user(role=Role.TRAINER, email="olga@example.org", name="Ольга Петрова")
    make_cohort(app, [trainer.id], [learner.id])
    with app.app_context():
        db.session.get(User, learner.id).active = False
        db.session.commit()
    right = sign_in_en(app.test_client(), learner.email, PASSWORD)
    assert right.status_code == 200
    assert "This account is deactivated." in right.text
    assert "Ольга Петрова" in right.text and "olga@example.org" in right.text
    wrong = sign_in_en(app.test_client(), learner.email, "wrong-password")
    assert "deactivated" not in wrong.text
    assert "The email or password is not correct." in wrong.text
    assert "olga@example.org" not in wrong.text


def test_parallel_uses_of_one_link_set_one_password(mail_app, smtp_server, russian):
    from concurrent.futures import ThreadPoolExecutor

    ask_for_link(mail_app.test_client(), russian.email)
    path = only_link(smtp_server, russian.email)
    passwords = [f"parallel-password-{n}" for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda pw: set_new_password(mail_app.test_client(), path, pw).status_code,
                     passwords)
        )
    assert sorted(statuses) == [302] + [410] * 7
    with mail_app.app_context():
        user = db.session.get(User, russian.id)
        assert sum(user.check_password(pw) for pw in passwords) == 1
        assert user.session_version == russian.session_version + 1
