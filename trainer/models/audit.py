"""The audit log: who did what to what, when and from where. Append-only.

A row keeps the email addresses as they were at the time, so it still reads right after the
account changes its address or is deactivated; the actor's id is kept for joins, never
cascaded. Rows are added by trainer.audit.record, in the transaction of the act they record.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from trainer.extensions import db
from trainer.models.types import UTCDateTime, utcnow
from trainer.models.users import EMAIL_MAX


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_actor_email", "actor_email"),
        Index("ix_audit_log_target_email", "target_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None]
    # The person the act concerns (the account, the member, the holder), as their email was.
    target_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditLogIsAppendOnly(Exception):
    """An audit row was about to be changed or deleted through the ORM."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, entry: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(entry.id)
