"""Certificates: issued on completion, verified by code, revoked with a reason.

Plain functions over the session: they flush, the caller commits.
"""

import enum
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer.extensions import db
from trainer.learning import progress as tracking
from trainer.learning.content import content_of
from trainer.learning.pdf import CertificateData
from trainer.models import Certificate, Progress, User, Verb
from trainer.models.certificates import CODE_MAX
from trainer.models.types import utcnow


class AlreadyRevoked(Exception):
    """The certificate was revoked before; a revocation is never overwritten."""


class Status(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verification:
    status: Status
    certificate: Certificate | None = None


def find_certificate(user_id: int, module_version_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.module_version_id == module_version_id
        )
    )


def certificates_for_module(user_id: int, module_id: int) -> list[Certificate]:
    """A learner's certificates for one module, newest version first."""
    query = (
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.module_id == module_id)
        .order_by(Certificate.module_version_id.desc())
    )
    return list(db.session.scalars(query))


def issue_certificate(progress: Progress) -> Certificate | None:
    """Issue the certificate for a completed module version, once; None if it grants none."""
    meta = content_of(progress.version).meta
    if not meta.certificate or progress.completed_at is None:
        return None
    existing = find_certificate(progress.user_id, progress.module_version_id)
    if existing is not None:
        return existing
    certificate = _new_certificate(progress, meta)
    try:
        # A savepoint: if a parallel request issued it first, the unique constraint says so.
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return find_certificate(progress.user_id, progress.module_version_id)
    object_id = f"{progress.module.slug}/certificate"
    tracking.record(progress, Verb.EARNED, object_id, {"certificate_id": certificate.id})
    return certificate


def _new_certificate(progress: Progress, meta) -> Certificate:
    user = progress.user or db.session.get(User, progress.user_id)
    return Certificate(
        user_id=progress.user_id,
        module_id=progress.module_id,
        module_version_id=progress.module_version_id,
        learner_name=user.name,
        title_ru=meta.title.ru,
        title_en=meta.title.en,
        credit_hours=meta.credit_hours,
        completed_on=local_date(progress.completed_at),
        lang=user.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
    )


def local_date(moment) -> date:
    """The calendar date where the organisation works (a late-evening completion in Moscow)."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def revoke(certificate: Certificate, by: User, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValueError("a revocation needs a reason")
    if certificate.revoked:
        raise AlreadyRevoked(certificate.id)
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = by.id
    certificate.revoke_reason = reason
    db.session.flush()


def verify(code: str) -> Verification:
    """Look a code up by exact match; nothing else can make a certificate valid."""
    code = (code or "").strip()
    if not code or len(code) > CODE_MAX:
        return Verification(Status.UNKNOWN)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return Verification(Status.UNKNOWN)
    return Verification(Status.REVOKED if certificate.revoked else Status.VALID, certificate)


def certificate_data(certificate: Certificate, verify_url: str) -> CertificateData:
    """What the PDF prints: the stored record, plus the organisation's configured details."""
    config = current_app.config
    return CertificateData(
        learner_name=certificate.learner_name,
        title_ru=certificate.title_ru,
        title_en=certificate.title_en,
        credit_hours=certificate.credit_hours,
        completed_on=certificate.completed_on,
        serial=certificate.serial,
        code=certificate.code,
        verify_url=verify_url,
        organisation=config["TRAINER_ORGANISATION"],
        signature=config.get("TRAINER_CERTIFICATE_SIGNATURE", ""),
        logo_path=config.get("TRAINER_CERTIFICATE_LOGO") or None,
    )


if issue_certificate not in tracking.COMPLETION_HOOKS:
    tracking.COMPLETION_HOOKS.append(issue_certificate)
