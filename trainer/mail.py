"""Email: composed in the recipient's language, sent through SMTP with Flask-Mailman.

    message = mail.compose(user, "mail/password_reset", _l("Reset your password"), link=link)
    mail.send(message)            # raises MailUnavailable when the server cannot take it

With TRAINER_MAIL_SERVER set, messages go to that SMTP server. Without it (development), each
message is written to the log and saved as an .eml file in the outbox folder
(TRAINER_OUTBOX_DIR, by default instance/outbox/): nothing leaves the machine.

A message is plain text and HTML, rendered from `<template>.txt` and `<template>.html` under
trainer/templates/ (see mail/base.txt and mail/base.html), with no images, no tracking pixels
and no rewritten links. The caller records a message as sent only after `send` returned.
"""

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, pgettext
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends import smtp
from flask_mailman.backends.base import BaseEmailBackend

from trainer.config import LANGUAGES
from trainer.worker_turns import outside_the_turn

log = logging.getLogger("trainer.mail")
mailman = Mail()


class MailUnavailable(Exception):
    """The mail server could not take the message; the caller shows a message, records
    nothing as sent, and the action can be tried again later."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    locale: str


def register(app) -> None:
    mailman.init_app(app)
    if not app.config.get("MAIL_SERVER"):
        # In production nobody reads the outbox: say so where the operator looks.
        level = logging.WARNING if app.config["TRAINER_ENV"] == "production" else logging.INFO
        app.logger.log(level, "No TRAINER_MAIL_SERVER: emails are saved to %s", outbox_dir(app))


def recipient_locale(user) -> str:
    """The language a person reads their mail in: their setting, else the site's default."""
    if getattr(user, "locale", None) in LANGUAGES:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def compose(user, template: str, subject, locale: str | None = None, **context) -> Message:
    """A message to `user` (anything with .email, .name and .locale), rendered in their
    language. `subject` is a lazy gettext string, translated here in that language."""
    locale = locale or recipient_locale(user)
    context = {"user": user, "organisation": current_app.config["TRAINER_ORGANISATION"]} | context
    with force_locale(locale):
        context.setdefault("site", site_name())
        context.setdefault("signature", _signature(context["organisation"], context["site"]))
        subject_text = str(subject)
        text = render_template(f"{template}.txt", subject=subject_text, **context)
        html = render_template(f"{template}.html", subject=subject_text, **context)
    return Message(to=user.email, subject=subject_text, text=text, html=html, locale=locale)


def site_name() -> str:
    """The product's name as the reader knows it: TRAINER_PRODUCT_NAME, else translated."""
    return current_app.config.get("TRAINER_PRODUCT_NAME") or pgettext("product name", "Trainer")


def _signature(organisation: str, site: str) -> str:
    # "Trainer" is the placeholder until the operator names the organisation.
    return organisation if organisation and organisation != "Trainer" else site


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a message: the address the request came to, or TRAINER_BASE_URL
    outside a request (the command line)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config["TRAINER_BASE_URL"]
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def send(message: Message) -> None:
    send_all([message])


def send_all(messages: list[Message]) -> None:
    """Hand the messages to the server over one connection. On failure raises MailUnavailable
    with `.sent`, the messages that did go before it (so a batch records only those)."""
    sent: list[Message] = []
    if not messages:
        return
    try:
        with outside_the_turn(), _connection() as connection:
            for message in messages:
                connection.send_messages([_email(message)])
                sent.append(message)
    except OSError as error:  # refused, timed out, TLS or SMTP errors (SMTPException)
        log.error(
            "mail: could not send %r to %s: %s", messages[len(sent)].subject,
            messages[len(sent)].to, error,
        )
        failure = MailUnavailable(str(error))
        failure.sent = sent
        raise failure from error
    for message in sent:
        log.info("mail: sent %r to %s", message.subject, message.to)


def check_available() -> None:
    """Open and close a connection: raises MailUnavailable when the server is down. Used
    where no message is due, so the answer does not depend on whether one was."""
    try:
        with _connection():
            pass
    except OSError as error:
        log.error("mail: server unavailable: %s", error)
        raise MailUnavailable(str(error)) from error


def _email(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[message.to],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": message.locale},
    )
    email.attach_alternative(message.html, "text/html")
    return email


def _connection():
    if current_app.config.get("MAIL_SERVER"):
        return mailman.get_connection(backend=SMTPEmailBackend)
    return mailman.get_connection(backend=OutboxEmailBackend)


class _VerifyingSMTP(smtplib.SMTP):
    """STARTTLS that checks the server's certificate and name (smtplib's default does not)."""

    def starttls(self, *args, context=None, **kwargs):
        return super().starttls(*args, context=context or ssl.create_default_context(), **kwargs)


class SMTPEmailBackend(smtp.EmailBackend):
    """Flask-Mailman's SMTP backend; with TRAINER_MAIL_USE_TLS the certificate is verified,
    as it already is with TRAINER_MAIL_USE_SSL."""

    @property
    def connection_class(self):
        return smtplib.SMTP_SSL if self.use_ssl else _VerifyingSMTP


def outbox_dir(app=None) -> Path:
    app = app or current_app
    return Path(app.config.get("TRAINER_OUTBOX_DIR") or Path(app.instance_path) / "outbox")


class OutboxEmailBackend(BaseEmailBackend):
    """Development: no server configured. Each message goes to the log and to an .eml file."""

    def send_messages(self, email_messages) -> int:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for email in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            path = folder / f"{stamp}-{secrets.token_hex(4)}.eml"
            path.write_bytes(email.message().as_bytes())
            log.warning(
                "mail (not sent: no TRAINER_MAIL_SERVER) to %s, %r, saved to %s\n%s",
                ", ".join(email.to), email.subject, path, email.body,
            )
        return len(email_messages)


def outbox_messages(app=None) -> list[Path]:
    """The saved messages, oldest first (for development and tests)."""
    folder = outbox_dir(app)
    return sorted(folder.glob("*.eml")) if folder.exists() else []
