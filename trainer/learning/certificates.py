"""Certificates: issued on completion, verified by code, revoked with a reason.

Plain functions over the session: they flush, the caller commits.
"""

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer import audit
from trainer.extensions import db
from trainer.learning import progress as tracking
from trainer.learning.content import content_of
from trainer.learning.pdf import CertificateData, grouped_code
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
    by_serial: bool = False  # found by its printed number, not by its secret code


def find_certificate(user_id: int, module_version_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.module_version_id == module_version_id
        )
    )


@dataclass(frozen=True)
class HeldCertificate:
    """What the learner's own pages show of a certificate (its download links or the notice of
    its revocation), read as plain columns with the page's other rows."""

    id: int
    completed_on: date
    revoked_at: datetime | None

    serial = property(Certificate.serial.fget)  # the model's rules, not copies of them
    revoked = property(Certificate.revoked.fget)


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
    audit.record(
        audit.Action.CERTIFICATE_ISSUED,
        actor=db.session.get(User, progress.user_id),
        target=certificate,
        module=progress.module.slug,
        version=progress.version.number,
    )
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
    audit.record(audit.Action.CERTIFICATE_REVOKED, actor=by, target=certificate, reason=reason)


# What people type around a code: spaces, hyphens and dashes, line breaks from a copied PDF.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_]+")
# Crockford's reading of look-alikes: O is zero, I and L are one.
LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# The printed number, e.g. "2026-000042", optionally after "№" or "No.".
SERIAL = re.compile(r"(?:№|No\.?|N)?\s*(\d{4})\s*[-\u2010-\u2015]\s*(\d{1,9})", re.IGNORECASE)


def compact_code(typed: str) -> str:
    return SEPARATORS.sub("", typed)


def normalise_code(typed: str) -> str:
    """A typed code as stored: no separators, capitals, O read as 0 and I or L as 1."""
    return compact_code(typed).upper().translate(LOOK_ALIKES)


def verify(typed: str) -> Verification:
    """Look a certificate up by its number or its code; nothing else can make one valid.

    A code is tried exactly as typed (codes issued before were case-sensitive), then normalised.
    Found by number, the result says so: the page then shows no name (numbers are sequential).
    """
    typed = (typed or "").strip()
    if not typed or len(typed) > CODE_MAX:
        return Verification(Status.UNKNOWN)
    serial = SERIAL.fullmatch(typed)
    if serial is not None:
        return _verdict(_by_serial(int(serial[1]), int(serial[2])), by_serial=True)
    certificate = _by_code(compact_code(typed)) or _by_code(normalise_code(typed))
    return _verdict(certificate)


def _verdict(certificate: Certificate | None, by_serial: bool = False) -> Verification:
    if certificate is None:
        return Verification(Status.UNKNOWN)
    status = Status.REVOKED if certificate.revoked else Status.VALID
    return Verification(status, certificate, by_serial)


def _by_code(code: str) -> Certificate | None:
    if not code:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def _by_serial(year: int, number: int) -> Certificate | None:
    certificate = db.session.get(Certificate, number)
    if certificate is None or certificate.completed_on.year != year:
        return None
    return certificate


def printed_code(certificate: Certificate) -> str:
    return grouped_code(certificate.code)


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
