"""The audit log of acts that matter for trust: sign-ins, password resets, access changes,
enrolments, exports, grades, certificates and content syncs.

`record` adds a row to the current session, so it is committed with the act it records; an
act that fails and rolls back leaves no row. Nothing in the application changes or deletes a
row (trainer.models.audit refuses it).
"""

import enum

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from werkzeug.local import LocalProxy

from trainer.extensions import db
from trainer.models import (
    AuditEntry,
    Certificate,
    Cohort,
    CohortMember,
    Module,
    Profession,
    QuizAttempt,
    Role,
    User,
)


class Action(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105  (a name)
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a name, not a password)
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a name, not a password)
    ACCOUNT_CREATED = "account_created"
    ROLE_CHANGED = "role_changed"
    PROFESSION_CHANGED = "profession_changed"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    ENROLLED = "enrolled"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DECLINED = "invitation_declined"
    MEMBER_REMOVED = "member_removed"
    EXPORT_DOWNLOADED = "export_downloaded"
    ESSAY_GRADED = "essay_graded"
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_REVOKED = "certificate_revoked"
    MODULES_SYNCED = "modules_synced"

    @property
    def label(self):
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SIGN_IN: _l("Sign-in"),
    Action.SIGN_IN_FAILED: _l("Failed sign-in"),
    Action.PASSWORD_RESET_REQUESTED: _l("Password reset link request"),
    Action.PASSWORD_RESET: _l("Password reset by link"),
    Action.PASSWORD_CHANGED: _l("Password change on the account page"),
    Action.ACCOUNT_CREATED: _l("Account creation"),
    Action.ROLE_CHANGED: _l("Role change"),
    Action.PROFESSION_CHANGED: _l("Profession change"),
    Action.ACCOUNT_DEACTIVATED: _l("Account deactivation"),
    Action.ACCOUNT_REACTIVATED: _l("Account reactivation"),
    Action.ENROLLED: _l("Enrolment or invitation to a cohort"),
    Action.INVITATION_ACCEPTED: _l("Acceptance of a cohort invitation"),
    Action.INVITATION_DECLINED: _l("Refusal of a cohort invitation"),
    Action.MEMBER_REMOVED: _l("Removal from a cohort or withdrawal of an invitation"),
    Action.EXPORT_DOWNLOADED: _l("Download of cohort results"),
    Action.ESSAY_GRADED: _l("Grading of written answers"),
    Action.CERTIFICATE_ISSUED: _l("Certificate issue"),
    Action.CERTIFICATE_REVOKED: _l("Certificate revocation"),
    Action.MODULES_SYNCED: _l("Content module sync"),
}

# The kind of object a row is about, by model; the person it concerns, when there is one.
TARGET_TYPES = {
    User: "user",
    Cohort: "cohort",
    CohortMember: "member",
    Certificate: "certificate",
    QuizAttempt: "attempt",
    Module: "module",
}

TARGET_LABELS = {
    "user": _l("account"),
    "cohort": _l("cohort"),
    "member": _l("cohort membership"),
    "certificate": _l("certificate"),
    "attempt": _l("quiz attempt"),
    "module": _l("module"),
}


def record(action: str, actor: User | None = None, target=None, **details) -> AuditEntry:
    """Add one row to the session (flushed, not committed: it commits with the act)."""
    entry = AuditEntry(
        action=Action(action).value,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        address=request.remote_addr if has_request_context() else None,
        details=_plain(details),
        **_describe(target),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_each(action: str, actor: User | None, people: list[User], **details) -> None:
    """One row per person (an enrolment from a roster of hundreds), in one flush."""
    address = request.remote_addr if has_request_context() else None
    db.session.add_all(
        AuditEntry(
            action=Action(action).value,
            actor_id=actor.id if actor is not None else None,
            actor_email=actor.email if actor is not None else None,
            address=address,
            details=_plain(details),
            target_type="user",
            target_id=person.id,
            target_email=person.email,
        )
        for person in people
    )
    db.session.flush()


def record_failed_sign_in(typed_email: str, reason: str) -> AuditEntry:
    """No actor: only the address typed is known (normalised, cut to the column's size)."""
    return record(Action.SIGN_IN_FAILED, target=typed_email.strip().lower()[:254], reason=reason)


def _describe(target) -> dict:
    if target is None:
        return {}
    if isinstance(target, str):  # a bare email address, e.g. one typed into a form
        return {"target_email": target}
    if isinstance(target, LocalProxy):  # current_user
        target = target._get_current_object()
    if target.id is None:
        db.session.flush()
    return {
        "target_type": TARGET_TYPES[type(target)],
        "target_id": target.id,
        "target_email": _person_of(target),
    }


def _person_of(target) -> str | None:
    if isinstance(target, User):
        return target.email
    user_id = getattr(target, "user_id", None)
    if user_id is None:
        return None
    person = db.session.get(User, user_id)
    return person.email if person is not None else None


def _plain(details: dict) -> dict:
    """Details as JSON-ready values (enums by value, everything else as text)."""
    return {key: _plain_value(value) for key, value in details.items() if value is not None}


def _plain_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict):
        return _plain(value)
    return str(value)


# Reading ----------------------------------------------------------------------------------------


DETAIL_LABELS = {
    "old": _l("was"),
    "new": _l("now"),
    "role": _l("role"),
    "profession": _l("profession"),
    "reason": _l("reason"),
    "via": _l("how"),
    "cohort_id": _l("cohort no."),
    "format": _l("format"),
    "learners": _l("learners"),
    "module": _l("module"),
    "version": _l("version"),
    "score": _l("score"),
    "max_score": _l("out of"),
    "invited": _l("invited (joins on accepting)"),
    "direct": _l("enrolled at once by an administrator"),
    "withdrawn": _l("the invitation was withdrawn before an answer"),
    "new_account": _l("new account"),
    "modules": _l("modules"),
    "verification_link": _l("link to confirm the address"),
}
VIA_LABELS = {
    "email": _l("by email"),
    "handed": _l("link handed over in person"),
    "link": _l("with the emailed link"),
    "roster": _l("from a roster file"),
    "invite_code": _l("with a cohort invite code"),
    "registration": _l("self-registration"),
    "activation": _l("activation of an imported account"),
    "cli": _l("from the command line"),
}
LINK_LABELS = {
    "sent": _l("sent to the address"),
    "not_sent": _l("not sent: the mail server was not available"),
}
FAILURE_LABELS = {
    "wrong_credentials": _l("wrong email or password"),
    "deactivated": _l("the account is deactivated"),
    "throttled": _l("refused: too many failures from this address"),
}

SYNC_LABELS = {
    "created": _l("stored (new)"),
    "updated": _l("new version stored"),
    "restored": _l("earlier version restored"),
    "unchanged": _l("unchanged"),
    "invalid": _l("refused (errors)"),
}


def readable_details(entry: AuditEntry) -> list[tuple[str, str]]:
    """(label, value) pairs of a row's details, in the reader's language where known."""
    pairs = []
    for key, value in entry.details.items():  # in the order they were recorded
        if value is False:
            continue
        label = str(DETAIL_LABELS.get(key, key))
        pairs.append((label, "" if value is True else _readable_value(entry.action, key, value)))
    return pairs


def _readable_value(action: str, key: str, value) -> str:
    kind = {"role": Role, "profession": Profession}.get(key)
    if key in ("old", "new"):
        kind = {Action.ROLE_CHANGED: Role, Action.PROFESSION_CHANGED: Profession}.get(action)
    if kind is not None and value in kind._value2member_map_:
        return str(kind(value).label)
    if key == "via":
        return str(VIA_LABELS.get(value, value))
    if key == "verification_link":
        return str(LINK_LABELS.get(value, value))
    if key == "reason" and action == Action.SIGN_IN_FAILED:
        return str(FAILURE_LABELS.get(value, value))
    if key == "modules":
        return "; ".join(_sync_outcome(outcome) for outcome in value)
    return str(value)


def _sync_outcome(outcome: dict) -> str:
    status = str(SYNC_LABELS.get(outcome["status"], outcome["status"]))
    if outcome.get("version") is None:
        return f"{outcome['folder']}: {status}"
    return f"{outcome['folder']}: {status}, v{outcome['version']}"


def entries_query(action=None, email=None, since=None, until=None) -> Select:
    """Newest first, filtered by action, by a person's email (as actor or as target; part of
    it is enough) and by a range of UTC moments [since, until)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if email:
        pattern = f"%{_escape_like(email.strip().lower())}%"
        query = query.where(
            func.lower(AuditEntry.actor_email).like(pattern, escape="\\")
            | func.lower(AuditEntry.target_email).like(pattern, escape="\\")
        )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
