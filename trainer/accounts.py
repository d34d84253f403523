"""Account operations shared by the CLI, the admin pages and registration.

Plain functions: they take data, change the session and flush; the caller commits.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from trainer.extensions import db
from trainer.models import InviteCode, Profession, Role, User
from trainer.models.types import utcnow

# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A request about accounts that cannot be carried out; the message is for the user."""


class EmailTaken(AccountError):
    pass


class InviteUnusable(AccountError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    name: str,
    password: str,
    role: Role = Role.LEARNER,
    profession: Profession = Profession.OTHER,
    locale: str | None = None,
) -> User:
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        role=role,
        profession=profession,
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account; None otherwise.

    Unknown email, wrong password and a deactivated account look the same to the caller,
    so the sign-in page cannot be used to find out who has an account.
    """
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def find_invite(code: str) -> InviteCode | None:
    return db.session.scalar(select(InviteCode).where(InviteCode.code == code.strip().upper()))


def redeem_invite(code: str, now: datetime | None = None) -> InviteCode:
    """Use one place of an invite; atomic, so two people cannot take the last place."""
    now = now or utcnow()
    invite = find_invite(code)
    if invite is None:
        raise InviteUnusable("unknown")
    if now >= invite.expires_at:
        raise InviteUnusable("expired")
    taken = db.session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.uses < InviteCode.max_uses)
        .values(uses=InviteCode.uses + 1)
    )
    if taken.rowcount != 1:
        raise InviteUnusable("used_up")
    db.session.refresh(invite)
    return invite


def set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.end_all_sessions()


def set_active(user: User, active: bool) -> None:
    if user.active and not active:
        user.end_all_sessions()
    user.active = active


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def claim_imported_account(email: str, name: str, password: str, locale, cohort_id: int):
    """An account a trainer imported into this cohort that nobody has used yet: the person
    registering with the cohort's invite code and that email takes it and sets the password.
    None when there is no such account (then registration creates one as usual)."""
    from trainer.learning.enrolment import UNUSABLE_PASSWORD_PREFIX, current_member_ids

    user = find_by_email(email)
    if (
        user is None
        or not user.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)
        or user.last_login_at is not None
        or user.id not in current_member_ids(cohort_id)
    ):
        return None
    user.name = name.strip()
    user.locale = locale or user.locale
    set_password(user, password)
    return user


def join_cohort(user: User, cohort_id: int) -> None:
    from trainer.learning.enrolment import enrol_users

    enrol_users(cohort_id, [user.id])
