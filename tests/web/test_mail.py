"""The mail module against a real SMTP server (aiosmtpd), the development outbox, and a
server that is down."""

import logging
import ssl
import subprocess
from types import SimpleNamespace

import pytest

from tests.mail_support import SMTPServer, free_port, html_part, smtp_settings, text_part
from trainer import mail, password_reset

RU = SimpleNamespace(email="ivan@example.org", name="Иван Петров", locale="ru")
EN = SimpleNamespace(email="ann@example.org", name="Ann Smith", locale="en")


def compose_reset(user, link="https://trainer.test/reset/abc"):
    return mail.compose(user, "mail/password_reset", password_reset.SUBJECT, link=link)


def test_message_reaches_the_smtp_server_in_text_and_html(mail_app, smtp_server):
    with mail_app.test_request_context():
        mail.send(compose_reset(RU))
    [received] = smtp_server.inbox.to(RU.email)
    assert received["Subject"] == "Сброс пароля"
    assert received["From"] == "Trainer <no-reply@trainer.test>"
    assert received["Auto-Submitted"] == "auto-generated"
    assert "Здравствуйте, Иван Петров" in text_part(received)
    assert "https://trainer.test/reset/abc" in text_part(received)
    assert "\n-- \nТренажёр\n" in text_part(received)  # signed by the product until named
    html = html_part(received)
    assert 'href="https://trainer.test/reset/abc"' in html
    assert "<img" not in html  # no tracking pixel, no remote images


def test_each_message_is_in_its_recipients_language(mail_app, smtp_server):
    with mail_app.test_request_context(headers={"Accept-Language": "ru"}):
        mail.send_all([compose_reset(EN), compose_reset(RU)])
    [english] = smtp_server.inbox.to(EN.email)
    [russian] = smtp_server.inbox.to(RU.email)
    assert english["Subject"] == "Reset your password"
    assert "Hello, Ann Smith" in text_part(english)
    assert english["Content-Language"] == "en"
    assert russian["Content-Language"] == "ru"


def test_without_a_server_messages_go_to_the_outbox_and_the_log(app, caplog):
    caplog.set_level(logging.WARNING, logger="trainer.mail")
    with app.test_request_context():
        mail.send(compose_reset(EN))
        [saved] = mail.outbox_messages()
    assert saved.suffix == ".eml"
    assert b"Reset your password" in saved.read_bytes()
    assert "no TRAINER_MAIL_SERVER" in caplog.text
    assert "https://trainer.test/reset/abc" in caplog.text


def test_a_server_that_is_down_raises_a_domain_error_and_logs_it(make_app, caplog):
    app = make_app(**smtp_settings(free_port()))  # nothing listens there
    caplog.set_level(logging.ERROR, logger="trainer.mail")
    with app.test_request_context():
        with pytest.raises(mail.MailUnavailable) as failure:
            mail.send(compose_reset(EN))
        with pytest.raises(mail.MailUnavailable):
            mail.check_available()
    assert failure.value.sent == []
    assert "could not send" in caplog.text


def test_links_outside_a_request_use_the_base_url(make_app):
    app = make_app(TRAINER_BASE_URL="https://learn.example.org")
    with app.app_context():
        assert mail.external_url("auth.login") == "https://learn.example.org/login"


def test_mail_settings_come_from_the_environment():
    from trainer.config import ConfigError, mail_settings

    settings = mail_settings(
        {"TRAINER_MAIL_SERVER": "smtp.example.org", "TRAINER_MAIL_USE_TLS": "1",
         "TRAINER_MAIL_USERNAME": "u", "TRAINER_MAIL_PASSWORD": "p",
         "TRAINER_MAIL_SENDER": "Trainer <t@example.org>"}
    )
    assert settings["MAIL_SERVER"] == "smtp.example.org"
    assert settings["MAIL_PORT"] == 587 and settings["MAIL_USE_TLS"]
    assert settings["MAIL_DEFAULT_SENDER"] == "Trainer <t@example.org>"
    assert mail_settings({"TRAINER_MAIL_USE_SSL": "1"})["MAIL_PORT"] == 465
    assert mail_settings({})["MAIL_SERVER"] is None
    with pytest.raises(ConfigError):
        mail_settings({"TRAINER_MAIL_USE_TLS": "1", "TRAINER_MAIL_USE_SSL": "1"})
    with pytest.raises(ConfigError):
        mail_settings({"TRAINER_MAIL_PORT": "smtp"})


@pytest.fixture
def starttls_server(tmp_path):
    """An SMTP server offering STARTTLS with a self-signed certificate for 127.0.0.1."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SMTPServer.running(tls_context=context, require_starttls=True)
    server.cert = cert
    yield server
    server.stop()


def test_starttls_checks_the_servers_certificate(make_app, starttls_server, monkeypatch):
    app = make_app(**(smtp_settings(starttls_server.port) | {"MAIL_USE_TLS": True}))
    with app.test_request_context():
        with pytest.raises(mail.MailUnavailable):  # self-signed: not trusted
            mail.send(compose_reset(EN))
        assert starttls_server.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(starttls_server.cert))  # now it is trusted
        mail.send(compose_reset(EN))
    assert len(starttls_server.inbox.to(EN.email)) == 1


def test_messages_are_signed_by_the_organisation_once_named(make_app, smtp_server):
    app = make_app(**smtp_settings(smtp_server.port), TRAINER_ORGANISATION="ГУ МВД России")
    with app.test_request_context():
        mail.send(compose_reset(RU))
    [received] = smtp_server.messages
    assert "\n-- \nГУ МВД России\n" in text_part(received)
    assert "ГУ МВД России<br>" in html_part(received)
