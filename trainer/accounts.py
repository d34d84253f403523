"""Account operations shared by the CLI, the admin pages and registration.

Plain functions: they take data, change the session and flush; the caller commits.
"""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from werkzeug.security import generate_password_hash

from trainer import audit
from trainer.extensions import db
from trainer.models import (
    ActivationToken,
    AuditEntry,
    Cohort,
    CohortMember,
    InviteCode,
    Profession,
    Role,
    User,
)
from trainer.models.cohorts import cohort_trainers
from trainer.models.types import utcnow
from trainer.models.users import password_matches

# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A request about accounts that cannot be carried out; the message is for the user."""


class EmailTaken(AccountError):
    pass


class InviteUnusable(AccountError):
    pass


class AccountDeactivated(AccountError):
    """The password is right but the account is deactivated: its owner may be told so."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


def normalize_email(email: str) -> str:
    """One spelling per address: compatibility forms folded (NFKC: a fullwidth "ｉｖａｎ@" typed
    with an Asian keyboard layout is "ivan@"), lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


WORD = re.compile(r"[^\W\d_]+")  # a run of letters: the address's words, between dots and digits


def mixed_script_problem(email: str):
    """Why a new address is refused if one of its words mixes Latin and Cyrillic letters:
    "ivаn" typed with one Cyrillic "а" after a keyboard-layout switch looks right on screen,
    and no mail reaches it. An address wholly in one script ("иван@почта.рф") is fine."""
    for word in WORD.findall(email):
        scripts = {unicodedata.name(letter, "").partition(" ")[0] for letter in word}
        if {"LATIN", "CYRILLIC"} <= scripts:
            return _l(
                "“%(word)s” mixes Latin and Cyrillic letters: check the keyboard layout and "
                "type the address again.",
                word=word,
            )
    return None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    name: str,
    password: str,
    role: Role = Role.LEARNER,
    profession: Profession = Profession.OTHER,
    locale: str | None = None,
    submission_token: str | None = None,
) -> User:
    """A new account; `submission_token`: the token of the form that makes it, if a form
    does (trainer.submissions): the same form sent again finds it."""
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        role=role,
        profession=profession,
        locale=locale,
        submission_token=submission_token,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def creation_entry(user: User) -> AuditEntry | None:
    """The audit row of the account's creation: who made it, how, and what followed (found
    by the address it was made with, which is indexed, while the account still has it)."""
    return db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.target_email == user.email,
            AuditEntry.action == audit.Action.ACCOUNT_CREATED.value,
            AuditEntry.target_type == "user",
            AuditEntry.target_id == user.id,
        )
        .order_by(AuditEntry.id)
        .limit(1)
    )


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account; None otherwise.

    Unknown email and wrong password look the same to the caller, so the sign-in page cannot
    be used to find out who has an account. Only with the right password is a deactivated
    account told so (AccountDeactivated), so that its owner knows whom to ask.
    """
    user = find_by_email(email)
    if user is None:
        password_matches(_DUMMY_HASH, password)
        return None
    if not user.check_password(password):
        return None
    if not user.active:
        raise AccountDeactivated(user)
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


@dataclass(frozen=True)
class Access:
    role: Role
    profession: Profession
    active: bool


def access_of(user: User) -> Access:
    return Access(user.role, user.profession, user.active)


def record_access_changes(user: User, before: Access, acting: User | None) -> None:
    """One audit row for each of role, profession and active that differs from `before`."""
    if user.role != before.role:
        audit.record(
            audit.Action.ROLE_CHANGED, actor=acting, target=user, old=before.role, new=user.role
        )
    if user.profession != before.profession:
        audit.record(
            audit.Action.PROFESSION_CHANGED,
            actor=acting,
            target=user,
            old=before.profession,
            new=user.profession,
        )
    if user.active != before.active:
        action = "account_reactivated" if user.active else "account_deactivated"
        audit.record(action, actor=acting, target=user)


def whom_to_ask(user: User) -> list[User]:
    """The active trainers of the cohorts the person is a member of, for a deactivated account
    to contact; then the administrators if there are none."""
    trainers = (
        select(User)
        .join(cohort_trainers, cohort_trainers.c.user_id == User.id)
        .join(CohortMember, CohortMember.cohort_id == cohort_trainers.c.cohort_id)
        .where(CohortMember.user_id == user.id, CohortMember.counts(), User.active.is_(True))
        .distinct()
        .order_by(User.name)
    )
    found = list(db.session.scalars(trainers))
    if not found:
        admins = select(User).where(User.role == Role.ADMIN, User.active.is_(True))
        found = list(db.session.scalars(admins.order_by(User.name).limit(3)))
    return [person for person in found if person.id != user.id]


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def join_cohort(user: User, cohort_id: int) -> None:
    """Registering with a cohort's invite code: the person chose the cohort, so they join it."""
    from trainer.learning.enrolment import enrol_users

    enrol_users(cohort_id, [user.id])


def invite_professions(invite: InviteCode) -> list[Profession]:
    """The professions someone registering with this code may have: the code's own, else its
    cohort's; only a code with neither (an admin's trainer code, say) leaves the choice open."""
    if invite.profession is not None:
        return [invite.profession]
    if invite.cohort_id is not None:
        cohort = db.session.get(Cohort, invite.cohort_id)
        chosen = [p for p in Profession if p.value in (cohort.professions or [])]
        if chosen:
            return chosen
    return list(Profession)


# Activation of imported accounts -------------------------------------------------------------

ACTIVATION_DAYS = 30
# No 0/O, 1/I: the code is read off a printed sheet. 20 symbols of 32 are 100 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20


def new_activation_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def activation_hash(code: str) -> str:
    """The stored form of a code: typed with or without dashes, in any case, it is the same."""
    normal = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def issue_activation_codes(users: list[User], acting: User, now: datetime | None = None):
    """A new one-time code for each account that awaits activation; the older unused codes of
    those accounts stop working (a lost sheet is replaced by printing a new one).
    Returns (user, code) pairs: the codes exist nowhere else, only their hashes are stored."""
    issued = new_activation_codes(users)
    store_activation_codes(issued, acting, now)
    return issued


def new_activation_codes(users: list[User]) -> list[tuple[User, str]]:
    """(user, code) for each account that awaits activation; nothing is stored yet."""
    return [(user, new_activation_code()) for user in users if user.awaits_activation]


def store_activation_codes(issued, acting: User, now: datetime | None = None) -> None:
    """Store the hashes of these (user, code) pairs; the accounts' older unused codes stop
    working. (Codes that are emailed are stored once the mail server took them.)"""
    if not issued:
        return
    now = now or utcnow()
    db.session.execute(
        delete(ActivationToken).where(
            ActivationToken.user_id.in_([user.id for user, _code in issued]),
            ActivationToken.used_at.is_(None),
        )
    )
    db.session.add_all(
        ActivationToken(
            user_id=user.id,
            token_hash=activation_hash(code),
            expires_at=now + timedelta(days=ACTIVATION_DAYS),
            created_by_id=acting.id,
            created_at=now,
        )
        for user, code in issued
    )
    db.session.flush()


def find_activation(code: str, now: datetime | None = None) -> ActivationToken | None:
    """The token of an unused, unexpired code whose account still awaits activation."""
    now = now or utcnow()
    token = db.session.scalar(
        select(ActivationToken).where(ActivationToken.token_hash == activation_hash(code))
    )
    if (
        token is None
        or token.used_at is not None
        or now >= token.expires_at
        or not token.user.active
        or not token.user.awaits_activation
    ):
        return None
    return token


def activate_account(code: str, name: str, password: str, locale: str | None) -> User | None:
    """Set the password of the account the code belongs to and use the code up; None when the
    code is unknown, used, expired or its account already active. Atomic: of two requests with
    one code, one wins."""
    now = utcnow()
    token = find_activation(code, now)
    if token is None:
        return None
    used = db.session.execute(
        update(ActivationToken)
        .where(ActivationToken.id == token.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return None
    user = token.user
    db.session.execute(
        delete(ActivationToken).where(
            ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None)
        )
    )
    user.name = name.strip()
    user.locale = locale or user.locale
    set_password(user, password)
    user.last_login_at = now
    db.session.flush()
    return user
