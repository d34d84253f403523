"""Completion certificates: everything the PDF prints is stored here, at issue time."""

import secrets
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.content import Module, ModuleVersion
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import NAME_MAX, User

CODE_MAX = 64
TITLE_MAX = 500


# Crockford's base32: digits and capitals without I, L, O and U, so a code typed from paper in
# any case, with O for 0 or l for 1, still matches once normalised (learning/certificates.py).
# Stored without separators; printed in groups of four. Codes issued before used a
# case-sensitive alphabet of 57 characters (32 long) and are still looked up as typed.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 28  # 28 x 5 = 140 random bits


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Certificate(db.Model):
    """Issued once per learner and module version; revoking keeps the row and says who and why."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "module_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True, default=new_verification_code)
    # The printed facts, frozen when issued so that every later PDF says the same.
    learner_name: Mapped[str] = mapped_column(String(NAME_MAX))
    title_ru: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX))
    credit_hours: Mapped[float]
    completed_on: Mapped[date]
    lang: Mapped[str] = mapped_column(String(8))  # the learner's language when issued
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    module: Mapped[Module] = relationship()
    version: Mapped[ModuleVersion] = relationship()

    @property
    def serial(self) -> str:
        """The printed number: year of completion and the row id, both fixed once issued."""
        return f"{self.completed_on.year}-{self.id:06d}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ru
