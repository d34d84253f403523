"""Accounts, roles, professions and invite codes."""

import enum
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from trainer.extensions import db
from trainer.models.types import UTCDateTime, utcnow
from trainer.submissions import TOKEN_MAX
from trainer.worker_turns import outside_the_turn

EMAIL_MAX = 254
NAME_MAX = 120
# An account created by a roster import has a password hash starting with "!", which no
# werkzeug hash does: nobody signs in until its owner activates it with a one-time link.
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105  (a marker, not a password)


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


class Profession(enum.StrEnum):
    POLICE = "police"
    JUDGE = "judge"
    PROSECUTOR = "prosecutor"
    SOCIAL_WORKER = "social_worker"
    CRISIS_CENTRE = "crisis_centre"
    OTHER = "other"

    @property
    def label(self):
        return PROFESSION_LABELS[self]


ROLE_LABELS = {
    Role.LEARNER: _l("Learner"),
    Role.TRAINER: _l("Trainer"),
    Role.ADMIN: _l("Administrator"),
}

PROFESSION_LABELS = {
    Profession.POLICE: _l("Police officer"),
    Profession.JUDGE: _l("Judge"),
    Profession.PROSECUTOR: _l("Prosecutor"),
    Profession.SOCIAL_WORKER: _l("Social worker or psychologist"),
    Profession.CRISIS_CENTRE: _l("Crisis-centre staff"),
    Profession.OTHER: _l("Other"),
}


def enum_column(enum_cls, name):
    # Stored as plain strings with a CHECK, so adding a value is a simple migration everywhere.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda cls: [m.value for m in cls],
    )


def hash_password(password: str) -> str:
    """The stored form of a password. Its key derivation (scrypt, ~0.1 s of C without the GIL)
    and its check below run outside the worker's turn (trainer/worker_turns.py)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    with outside_the_turn():
        return generate_password_hash(password, method=method)


def password_matches(stored: str, password: str) -> bool:
    with outside_the_turn():
        return check_password_hash(stored, password)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.LEARNER)
    profession: Mapped[Profession] = mapped_column(
        enum_column(Profession, "profession"), default=Profession.OTHER
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out, password change and deactivation: every older session stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    # Case- and ё-folded name and email: SQLite's LIKE folds only ASCII, so search this.
    search_key: Mapped[str] = mapped_column(String(EMAIL_MAX + NAME_MAX + 1), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved the address is theirs. Accounts made by an admin, the command line,
    # a roster or an invite code count as verified at creation; open registration leaves it
    # empty until the link sent to the address is followed (trainer.learning.email_tokens).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The token of the form that created it (registration, an admin's "New user"): sent again,
    # the form finds this account (trainer/submissions.py).
    submission_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX), unique=True)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_version += 1

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def awaits_activation(self) -> bool:
        return self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def fold_for_search(text: str) -> str:
    return text.casefold().replace("ё", "е")


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_search_key(_mapper, _connection, user: User) -> None:
    user.search_key = fold_for_search(f"{user.name} {user.email}")


class InviteCode(db.Model):
    """Lets a person register without an admin; limited in time and in uses."""

    __tablename__ = "invite_codes"
    __table_args__ = (CheckConstraint("uses <= max_uses", name="uses_within_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: new_invite_code())
    role: Mapped[Role] = mapped_column(enum_column(Role, "invite_role"), default=Role.LEARNER)
    profession: Mapped[Profession | None] = mapped_column(
        enum_column(Profession, "invite_profession")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A cohort invite enrols whoever registers with it in that cohort.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    # The token of the form that created it: sent again, the form finds this code
    # (trainer/submissions.py).
    submission_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX), unique=True)

    created_by: Mapped[User | None] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.uses < self.max_uses and now < self.expires_at


def new_invite_code() -> str:
    # Short enough to read aloud in a classroom, long enough not to be guessed.
    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y").upper()


class ActivationToken(db.Model):
    """A personal one-time link (or code) that lets the owner of an imported account set its
    password. Only a hash is stored: the link is shown once, on the sheet the trainer prints."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
