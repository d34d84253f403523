"""What was sent by email and must not be sent twice: reminders and cohort invitations."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trainer.extensions import db
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import EMAIL_MAX


class ReminderSent(db.Model):
    """One reminder or digest that reached the SMTP server; a row is written only after the
    server accepted the message, so a failed run sends it again next time.

    kind: "due:<days>" (due within that many days), "overdue" or "digest".
    ref: the assignment and its due date ("a12@2026-12-10": a new due date is a new
    reminder) or, for a digest, the ISO week ("2026-W49")."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortMailing(db.Model):
    """A cohort's invitation ("invite") or an activation link ("activation") emailed to an
    address; sending again updates the row, so the members page lists each address once."""

    __tablename__ = "cohort_mailings"
    __table_args__ = (UniqueConstraint("cohort_id", "email", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    times: Mapped[int] = mapped_column(default=1)


class MailingSubmission(db.Model):
    """A submitted mailing form (a cohort's invitations, activation links), by its one-use
    token (trainer.submissions): written before any message goes, so that the same form sent
    again, or twice at once, finds it and sends nothing more."""

    __tablename__ = "mailing_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
