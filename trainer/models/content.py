"""Content modules and their immutable versions."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.models.types import UTCDateTime, utcnow


class Module(db.Model):
    """A module by its stable slug; its content lives in versions."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    # The newest version; learners who started an older one keep theirs. Deliberately no
    # database foreign key: it would make modules and module_versions depend on each other.
    latest_version_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    latest_version: Mapped["ModuleVersion | None"] = relationship(
        primaryjoin="foreign(Module.latest_version_id) == ModuleVersion.id", post_update=True
    )


class ModuleVersion(db.Model):
    """One synced state of a module: never changed after it is written."""

    __tablename__ = "module_versions"
    __table_args__ = (
        UniqueConstraint("module_id", "number"),
        UniqueConstraint("module_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    schema_version: Mapped[int]
    # Metadata, lesson HTML (rendered and sanitized at sync), quizzes and scenarios.
    data: Mapped[dict] = mapped_column(JSON, deferred=True)  # read via learning.content
    # Loaded when used: SQLite stores a row's columns in order, so reading this one means
    # following `data`'s overflow pages (milliseconds per version on every page that loads one).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, deferred=True)

    module: Mapped[Module] = relationship()


class ModuleAsset(db.Model):
    """An image used by lessons, stored once by content hash."""

    __tablename__ = "module_assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
