"""Who may do what: the one place that answers it.

Views ask `can(user, action, target)` or use `@require(action)`; the test matrix in
tests/web/test_policy.py walks every route for every role.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from werkzeug.local import LocalProxy

from trainer.extensions import db, login_manager
from trainer.learning.classroom import refusal_to_join
from trainer.learning.cohort_queries import runs_cohort, taught_learner_ids
from trainer.memo import once_per_request
from trainer.models import CohortMember, Role, User


def _signed_in(user: User, target=None) -> bool:
    return user.is_authenticated


def _admin(user: User, target=None) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def _admin_not_self(user: User, target: User | None = None) -> bool:
    # An admin must not lock themselves out by demoting or deactivating their own account.
    return _admin(user) and target is not None and target.id != user.id


def _module_audience(user: User, meta=None) -> bool:
    # Trainers and admins see every module; a learner those written for their profession.
    if not user.is_authenticated:
        return False
    return user.role != Role.LEARNER or (meta is not None and user.profession in meta.audience)


def teaches(user: User, learner_id: int) -> bool:
    """Admins teach everyone; a trainer teaches the current members of the cohorts they run."""
    if not user.is_authenticated or user.role == Role.LEARNER:
        return False
    if user.role == Role.ADMIN:
        return True
    query = taught_learner_ids(user).where(CohortMember.user_id == learner_id)
    return db.session.scalar(select(query.exists())) or False


def _trainer_or_admin(user: User, target=None) -> bool:
    return user.is_authenticated and user.role in (Role.TRAINER, Role.ADMIN)


def _runs_cohort(user: User, cohort=None) -> bool:
    # Admins see and change every cohort; a trainer only those they are a trainer of.
    if not _trainer_or_admin(user) or cohort is None:
        return False
    if user.role == Role.ADMIN:
        return True
    # A page asks it once per row it lists (each invitation's buttons): once per request.
    return once_per_request(
        "runs_cohort",
        (user.id, cohort.id),
        lambda: db.session.scalar(select(runs_cohort(user, cohort.id).exists())) or False,
    )


def _sees_member(user: User, member: CohortMember | None = None) -> bool:
    # A learner's page in a cohort (records included) once they accepted; a pending invitation
    # shows nothing of the account, a removed member's records stay readable.
    return (
        member is not None and member.accepted_at is not None and _runs_cohort(user, member.cohort)
    )


def _sets_profession(user: User, member: CohortMember | None = None) -> bool:
    # The cohort's trainer (or an admin) sets the profession of a learner who is in it now.
    return (
        _sees_member(user, member)
        and member.removed_at is None
        and member.user.role == Role.LEARNER
    )


def _answers_invitation(user: User, member: CohortMember | None = None) -> bool:
    # Only the invited learner answers; a trainer's or admin's account is never a learner.
    return (
        user.is_authenticated
        and user.role == Role.LEARNER
        and member is not None
        and member.user_id == user.id
        and member.accepted_at is None
        and member.removed_at is None
    )


def _admin_confirms(user: User, member: CohortMember | None = None) -> bool:
    # An admin may enrol an invited learner without waiting for them to accept.
    return (
        _admin(user)
        and member is not None
        and member.accepted_at is None
        and member.removed_at is None
        and member.user.role == Role.LEARNER
    )


def _emails_activation(user: User, member: CohortMember | None = None) -> bool:
    # A new activation link by email: the cohort's trainer (or an admin), for an accepted,
    # current member whose imported account nobody has activated yet.
    return (
        _sees_member(user, member)
        and member.removed_at is None
        and member.user.awaits_activation
    )


def _anonymous(user: User, target=None) -> bool:
    return not user.is_authenticated


def _hands_reset_link(user: User, person: User | None = None) -> bool:
    # A reset link to hand over in person: an admin for anyone else; a trainer for a learner
    # who accepted a place in a cohort they run. Only for an account that can sign in.
    if person is None or not user.is_authenticated or person.id == user.id:
        return False
    if not person.active or person.awaits_activation:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.TRAINER and person.role == Role.LEARNER and teaches(user, person.id)


def _session_trainer(user: User, session=None) -> bool:
    # A live class session's controls and projector are its trainer's alone.
    return user.is_authenticated and session is not None and session.trainer_id == user.id


def _in_session(user: User, seat=None) -> bool:
    # target: a classroom Seat (the session, and the participant the request is, or None).
    return seat is not None and seat.participant_id is not None


def _follows_session(user: User, seat=None) -> bool:
    # Its status: the participants (a guest by their browser's token) and its trainer.
    return seat is not None and (_in_session(user, seat) or _session_trainer(user, seat.session))


def _reviews_session(user: User, seat=None) -> bool:
    # The debrief: those in the room, its trainer, admins and the trainers of its cohort.
    if seat is None:
        return False
    if _follows_session(user, seat) or _admin(user):
        return True
    return seat.session.cohort is not None and _runs_cohort(user, seat.session.cohort)


RULES: dict[str, Callable[..., bool]] = {
    "account.view": _signed_in,
    "account.edit": _signed_in,
    "account.invitations": _signed_in,
    "account.invitation.answer": _answers_invitation,
    "auth.activate": _anonymous,
    # Email addresses: a link proves itself (trainer.email_verification), so anyone who has
    # it may follow it; a new link is for an owner whose address is not confirmed yet.
    "auth.verify_email": lambda user, target=None: True,
    "auth.verify_email.resend": lambda user, target=None: (
        user.is_authenticated and user.email_verified_at is None
    ),
    "account.email.change": _signed_in,
    "account.email.confirm": lambda user, target=None: True,
    "auth.recover_password": _anonymous,
    "users.reset_link": _hands_reset_link,
    "learn.browse": _signed_in,
    "learn.open_module": _module_audience,
    "admin.users.list": _admin,
    "admin.users.create": _admin,
    "admin.users.edit": _admin,
    "admin.users.change_access": _admin_not_self,
    "admin.invites.manage": _admin,
    "admin.audit.view": _admin,  # read only: no route changes or deletes an audit row
    "admin.users.activation": lambda user, target=None: (
        _admin(user) and target is not None and target.awaits_activation
    ),
    # quiz rules
    "quiz.attempt.own": lambda user, attempt: (
        user.is_authenticated and attempt is not None and attempt.user_id == user.id
    ),
    "quiz.review.queue": _trainer_or_admin,
    "quiz.review.grade": lambda user, attempt: (
        attempt is not None and teaches(user, attempt.user_id)
    ),
    # scenario rules
    # Runs: only their learner plays one; their trainers may read its debrief.
    "scenarios.play_run": lambda user, run=None: (
        user.is_authenticated and run is not None and run.user_id == user.id
    ),
    "scenarios.view_run": lambda user, run=None: (
        user.is_authenticated
        and run is not None
        and (run.user_id == user.id or teaches(user, run.user_id))
    ),
    # The class view of a cohort's choices (target: a cohort id; None for the picker).
    "scenarios.class_view": lambda user, cohort_id=None: (
        _trainer_or_admin(user)
        and (
            cohort_id is None
            or user.role == Role.ADMIN
            or bool(db.session.scalar(select(runs_cohort(user, cohort_id).exists())))
        )
    ),
    # Pairing a judge's runs of a linked case with an officer's run (target: the cohort).
    "scenarios.pair": _runs_cohort,
    # Classroom mode (trainer/classroom): a trainer starts a live session (for a cohort they
    # run, or for anyone with its code); learners, and guests where allowed, join and vote.
    "classroom.start": lambda user, cohort=None: _trainer_or_admin(user) and (
        cohort is None or _runs_cohort(user, cohort)
    ),
    "classroom.list": _trainer_or_admin,  # the list shows their sessions and their cohorts'
    "classroom.control": _session_trainer,
    "classroom.join": lambda user, session=None: (
        session is not None and refusal_to_join(session, user) is None
    ),
    "classroom.vote": _in_session,
    "classroom.follow": _follows_session,
    "classroom.debrief": _reviews_session,
    # cohort rules
    "cohorts.list": _trainer_or_admin,
    "cohorts.create": _trainer_or_admin,
    "cohorts.view": _runs_cohort,
    "cohorts.change": _runs_cohort,
    "cohorts.learner.view": _sees_member,
    "cohorts.learner.profession": _sets_profession,
    "cohorts.member.confirm": _admin_confirms,
    "cohorts.member.activation_email": _emails_activation,
    # Enrolling existing accounts from a file: an admin enrols them, a trainer only invites.
    "cohorts.enrol.direct": _admin,
    # certificate rules
    "certificates.list": _trainer_or_admin,  # the list filters to the learners they teach
    # Only the holder downloads; revoking is for admins and the holder's current trainers.
    "certificates.download": lambda user, cert: (
        user.is_authenticated
        and cert is not None
        and cert.user_id == user.id
        and user.email_verified_at is not None  # an unconfirmed address: no certificate yet
    ),
    "certificates.revoke": lambda user, cert: cert is not None and teaches(user, cert.user_id),
}


def can(user: User, action: str, target=None) -> bool:
    if isinstance(user, LocalProxy):  # current_user: each attribute read finds the user again
        user = user._get_current_object()
    return RULES[action](user, target)


def require(action: str):
    """Refuse the view unless the current user may perform `action` (no target)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user._get_current_object()
            if not user.is_authenticated:
                return login_manager.unauthorized()
            if not can(user, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def authorize(action: str, target=None) -> None:
    """For views that load an object first: 403 unless allowed."""
    if not can(current_user, action, target):
        abort(403)
