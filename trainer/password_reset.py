"""Password recovery: a single-use link, valid for one hour, sent by email or handed over.

The link carries a token signed with the app's secret (itsdangerous) that names the account
and a fingerprint of its current password hash and session counter. Setting a new password
changes both, so a link works once; a password change or a sign-out elsewhere also ends it.
Nothing is stored: no table, no migration.

Requests are throttled per email address (so per account) in the limiter's storage, shared
by every worker like the sign-in counts (trainer.throttle); the route limits each address.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from limits import parse_many
from sqlalchemy import update

from trainer import accounts, mail
from trainer.config import LANGUAGES
from trainer.extensions import db, limiter
from trainer.models import User
from trainer.models.types import utcnow
from trainer.models.users import hash_password

LIFETIME = timedelta(hours=1)
SALT = "trainer.password-reset"
SUBJECT = _l("Reset your password")
NOT_ACTIVATED_SUBJECT = _l("Your account is not activated yet")


class ResetLinkInvalid(Exception):
    """reason: "invalid" (altered or unknown), "expired" (older than an hour) or "used"
    (used already, or the password changed since)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooManyRequests(Exception):
    """Links were requested too often for this email address."""


class _ClockSigner(TimestampSigner):
    """itsdangerous' signer with an injectable clock, so tests need no sleeping."""

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int((self.now or datetime.now(UTC)).timestamp())


def _serializer(now: datetime | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.secret_key, salt=SALT, signer=_ClockSigner, signer_kwargs={"now": now}
    )


def _fingerprint(user: User) -> str:
    state = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(state).hexdigest()[:24]


def make_token(user: User, now: datetime | None = None) -> str:
    return _serializer(now).dumps([user.id, _fingerprint(user)])


def reset_link(user: User, now: datetime | None = None) -> str:
    return mail.external_url("auth.reset_password", token=make_token(user, now))


def check_token(token: str, now: datetime | None = None) -> User:
    """The account the token may reset, or ResetLinkInvalid saying why not."""
    try:
        user_id, fingerprint = _serializer(now).loads(token, max_age=LIFETIME.total_seconds())
    except SignatureExpired:
        raise ResetLinkInvalid("expired") from None
    except (BadData, ValueError, TypeError):
        raise ResetLinkInvalid("invalid") from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or user.awaits_activation:
        raise ResetLinkInvalid("invalid")
    if fingerprint != _fingerprint(user):
        raise ResetLinkInvalid("used")
    return user


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the new password and end every session. Atomic: of two requests with one link,
    only one changes the password; the other is told the link was used."""
    user = check_token(token, now)
    old_hash, old_version = user.password_hash, user.session_version
    new_hash = hash_password(password)
    changed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.password_hash == old_hash,
            User.session_version == old_version,
        )
        .values(
            password_hash=new_hash,
            session_version=old_version + 1,
            last_login_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise ResetLinkInvalid("used")
    db.session.refresh(user)
    return user


# Requests by email --------------------------------------------------------------------------


def _account_key(email: str) -> tuple[str, ...]:
    return ("password-reset", accounts.normalize_email(email))


def _account_limits():
    return parse_many(current_app.config["PASSWORD_RESET_RATE_LIMIT_ACCOUNT"])


def request_reset(email: str, locale: str | None = None) -> None:
    """Email a reset link if the address belongs to an account that can use one. The outcome
    is the same for any address: counted against the same limit, and the mail server is
    reached whether a message is due or not, so its failure cannot tell them apart either.

    The message is in the account's language, else in `locale` (the page's, where the person
    asked). Raises TooManyRequests past the limit and mail.MailUnavailable when the server is down.
    """
    key = _account_key(email)
    if not all(limiter.limiter.test(limit, *key) for limit in _account_limits()):
        raise TooManyRequests(email)
    message = _message_for(accounts.find_by_email(email), locale)
    if message is None:
        mail.check_available()
    else:
        mail.send(message)
    for limit in _account_limits():
        limiter.limiter.hit(limit, *key)


def _message_for(user: User | None, locale: str | None) -> mail.Message | None:
    if user is None or not user.active:
        return None
    locale = user.locale if user.locale in LANGUAGES else locale
    if user.awaits_activation:
        return mail.compose(user, "mail/account_not_activated", NOT_ACTIVATED_SUBJECT, locale)
    return mail.compose(user, "mail/password_reset", SUBJECT, locale, link=reset_link(user))
