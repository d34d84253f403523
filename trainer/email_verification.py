"""Proving that an email address is the account owner's: the link sent after open registration,
and a change of address that takes effect only once confirmed from the new address.

Links carry tokens signed with the app's secret (itsdangerous) that name the account and the
address (for a change, the old and the new one); nothing is stored. A verification link works
while the account still has that address; a change link only while the account still has the
old one, so it works once. Both expire.

Until an account registered on its own (no invite code) follows its link, its owner may sign
in and take modules, but sees a notice on every page, downloads no certificate, and gets no
reminders or digests (trainer.policy, trainer.learning.reminders).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from trainer import accounts, mail
from trainer.extensions import db
from trainer.models import User
from trainer.models.types import utcnow

log = logging.getLogger("trainer.mail")

VERIFY_SALT = "trainer.email-verify"
CHANGE_SALT = "trainer.email-change"
VERIFY_LIFETIME = timedelta(days=7)
CHANGE_LIFETIME = timedelta(hours=24)


class LinkInvalid(Exception):
    """reason: "invalid" (altered, or for an address the account no longer has), "expired",
    "used" (the change was made already) or "taken" (the new address has an account now)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _load(token: str, salt: str, lifetime: timedelta) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=int(lifetime.total_seconds()))
    except SignatureExpired:
        raise LinkInvalid("expired") from None
    except BadData:
        raise LinkInvalid("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise LinkInvalid("invalid")
    return data


# Verifying the address an account registered with ------------------------------------------


def verification_token(user: User) -> str:
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": user.email})


def verify(token: str) -> User:
    """Mark the account's address verified (again is harmless); LinkInvalid otherwise."""
    data = _load(token, VERIFY_SALT, VERIFY_LIFETIME)
    user = db.session.get(User, data["u"])
    if user is None or user.email != data.get("e"):
        raise LinkInvalid("invalid")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


def verification_message(user: User) -> mail.Message:
    return mail.compose(
        user,
        "mail/verify_email",
        _l("Confirm your email address"),
        link=mail.external_url("auth.verify_email", token=verification_token(user)),
        days=VERIFY_LIFETIME.days,
    )


def send_verification(user: User) -> bool:
    """Send the link; False (logged) when the mail server cannot take it."""
    try:
        mail.send(verification_message(user))
    except mail.MailUnavailable:
        return False
    return True


# Changing the address ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAddress:
    """The account as it will be, for the message to the new address (not saved)."""

    email: str
    name: str
    locale: str | None


def change_token(user: User, new_email: str) -> str:
    return _serializer(CHANGE_SALT).dumps({"u": user.id, "from": user.email, "to": new_email})


def request_change(user: User, new_email: str) -> None:
    """Email the confirmation link to the new address. Raises accounts.EmailTaken when an
    account has it, mail.MailUnavailable when the server cannot take the message."""
    new_email = accounts.normalize_email(new_email)
    if accounts.find_by_email(new_email) is not None:
        raise accounts.EmailTaken(new_email)
    link = mail.external_url("account.confirm_email", token=change_token(user, new_email))
    message = mail.compose(
        NewAddress(new_email, user.name, user.locale),
        "mail/confirm_email_change",
        _l("Confirm your new email address"),
        link=link,
        old_email=user.email,
        hours=int(CHANGE_LIFETIME.total_seconds() // 3600),
    )
    mail.send(message)


def confirm_change(token: str) -> tuple[User, str]:
    """Give the account the new address, verified; returns (user, old address)."""
    data = _load(token, CHANGE_SALT, CHANGE_LIFETIME)
    user = db.session.get(User, data["u"])
    new_email = data.get("to")
    if user is None or not isinstance(new_email, str):
        raise LinkInvalid("invalid")
    if user.email == new_email:
        raise LinkInvalid("used")
    if user.email != data.get("from"):
        raise LinkInvalid("used")  # the address changed since: the link is spent
    if accounts.find_by_email(new_email) is not None:
        raise LinkInvalid("taken")
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    db.session.flush()
    return user, old_email


def tell_old_address(user: User, old_email: str) -> None:
    """A notice to the address the account had: if the owner did not ask for the change,
    they know whom to tell. Best effort: the change is made whether or not it goes."""
    message = mail.compose(
        NewAddress(old_email, user.name, user.locale),
        "mail/email_changed",
        _l("Your email address was changed"),
        new_email=user.email,
    )
    try:
        mail.send(message)
    except mail.MailUnavailable:
        log.warning("mail: the notice of an email change to %s was not sent", old_email)
