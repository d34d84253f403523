"""Who teaches whom, and the cohort reads of the dashboard and the cohort pages.

Domain queries (the lower floor): trainer.policy, the learning engines and the blueprints use
them; this module imports no blueprint.
"""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from trainer.extensions import db
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    InviteCode,
    LearningEvent,
    Module,
    ModuleVersion,
    Progress,
    Role,
    User,
    cohort_trainers,
)
from trainer.models.users import UNUSABLE_PASSWORD_PREFIX


def taught_learner_ids(trainer: User) -> Select:
    """Ids of the accepted, current members of every cohort the trainer runs; for an admin,
    everyone. A pending invitation grants nothing."""
    if trainer.role == Role.ADMIN:
        return select(User.id)
    return (
        select(CohortMember.user_id)
        .join(cohort_trainers, cohort_trainers.c.cohort_id == CohortMember.cohort_id)
        .where(cohort_trainers.c.user_id == trainer.id, CohortMember.counts())
    )


def runs_cohort(user: User, cohort_id: int) -> Select:
    """A query that finds a row when the user is one of the cohort's trainers."""
    return select(cohort_trainers.c.cohort_id).where(
        cohort_trainers.c.cohort_id == cohort_id, cohort_trainers.c.user_id == user.id
    )


# The dashboard's reads: one query each, whatever the size of the cohort. ------------------


def current_members(cohort_id: int) -> Select:
    """Ids of the cohort's accepted, not removed members."""
    return select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort_id, CohortMember.counts()
    )


def cohort_learners(cohort_id: int) -> list:
    """The accepted, current members: id, name, email, profession, joined_at; by name."""
    return db.session.execute(
        select(User.id, User.name, User.email, User.profession, CohortMember.joined_at)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id, CohortMember.counts())
        .order_by(User.name, User.id)
    ).all()


def cohort_assignments(cohort_id: int) -> list[Assignment]:
    """Assignments with their module, its latest version and the pinned one; by due date."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.cohort_id == cohort_id)
            .options(
                joinedload(Assignment.module).joinedload(Module.latest_version),
                joinedload(Assignment.pinned_version),
            )
            .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)
        ).unique()
    )


def cohort_progress(cohort_id: int, module_ids: list[int] | None = None) -> list:
    """The Progress rows of current members for the cohort's assigned modules (or some)."""
    assigned = select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
    query = select(
        Progress.user_id,
        Progress.module_id,
        Progress.status,
        Progress.percent,
        Progress.state,
        Progress.completed_at,
    ).where(
        Progress.user_id.in_(current_members(cohort_id)),
        Progress.module_id.in_(module_ids if module_ids is not None else assigned),
    )
    return db.session.execute(query).all()


def learner_events(cohort_id: int, user_id: int, limit: int = 500) -> list[LearningEvent]:
    """The learner's events in the cohort's assigned modules (any version), newest first."""
    versions = select(ModuleVersion.id).where(
        ModuleVersion.module_id.in_(
            select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
        )
    )
    return list(
        db.session.scalars(
            select(LearningEvent)
            .where(LearningEvent.user_id == user_id, LearningEvent.module_version_id.in_(versions))
            .order_by(LearningEvent.created_at.desc(), LearningEvent.id.desc())
            .limit(limit)
        )
    )


def learner_assignments(user_id: int) -> list:
    """(Assignment, cohort name) for every cohort the user is an accepted, current member of."""
    return db.session.execute(
        select(Assignment, Cohort.name)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
        .where(CohortMember.user_id == user_id, CohortMember.counts())
        .options(
            joinedload(Assignment.module).joinedload(Module.latest_version),
            joinedload(Assignment.pinned_version),
        )
        .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)
    ).all()


def pinned_version_id(user_id: int, module_id: int) -> int | None:
    """The version a cohort of the user pins this module to (the newest pin wins), if any."""
    return db.session.scalar(
        select(Assignment.module_version_id)
        .join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
        .where(
            CohortMember.user_id == user_id,
            CohortMember.counts(),
            Assignment.module_id == module_id,
            Assignment.module_version_id.is_not(None),
        )
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
        .limit(1)
    )


# Lists for the cohort pages. ---------------------------------------------------------------


def visible_cohorts(user: User) -> list:
    """(Cohort, current member count, assignment count) the user may see, newest first."""
    members = (
        select(func.count(CohortMember.id))
        .where(CohortMember.cohort_id == Cohort.id, CohortMember.counts())
        .scalar_subquery()
    )
    assigned = (
        select(func.count(Assignment.id)).where(Assignment.cohort_id == Cohort.id).scalar_subquery()
    )
    query = select(Cohort, members, assigned).order_by(Cohort.created_at.desc(), Cohort.id.desc())
    if user.role != Role.ADMIN:
        query = query.where(Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(
            cohort_trainers.c.user_id == user.id)))  # fmt: skip
    return db.session.execute(query).all()


def trainer_accounts() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.TRAINER, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def all_members(cohort_id: int) -> list:
    """Every membership, removed ones too: (CohortMember, User), by name."""
    return db.session.execute(
        select(CohortMember, User)
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(CohortMember.removed_at.is_not(None), User.name, User.id)
    ).all()


def synced_modules() -> list[Module]:
    return list(
        db.session.scalars(
            select(Module)
            .where(Module.latest_version_id.is_not(None))
            .options(joinedload(Module.latest_version))
            .order_by(Module.slug)
        )
    )


def module_versions() -> list:
    """(version id, module slug, version number) of every stored version."""
    return db.session.execute(
        select(ModuleVersion.id, Module.slug, ModuleVersion.number)
        .join(Module, Module.id == ModuleVersion.module_id)
        .order_by(Module.slug, ModuleVersion.number.desc())
    ).all()


def cohort_invites(cohort_id: int) -> list[InviteCode]:
    return list(
        db.session.scalars(
            select(InviteCode)
            .where(InviteCode.cohort_id == cohort_id)
            .order_by(InviteCode.created_at.desc())
        )
    )


def learner_progress(user_id: int, module_ids: list[int]) -> list[Progress]:
    return list(
        db.session.scalars(
            select(Progress).where(Progress.user_id == user_id, Progress.module_id.in_(module_ids))
        )
    )


# Invitations and activation. ------------------------------------------------------------------


def pending_invitations(user_id: int) -> list:
    """(CohortMember, Cohort) of the invitations waiting for the user's answer, oldest first."""
    return db.session.execute(
        select(CohortMember, Cohort)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(
            CohortMember.user_id == user_id,
            CohortMember.accepted_at.is_(None),
            CohortMember.removed_at.is_(None),
        )
        .order_by(CohortMember.joined_at, CohortMember.id)
    ).all()


def awaiting_activation(cohort_id: int) -> list[User]:
    """The cohort's accepted, current members whose imported account is not activated yet."""
    return list(
        db.session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(
                CohortMember.cohort_id == cohort_id,
                CohortMember.counts(),
                User.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX, autoescape=True),
            )
            .order_by(User.name, User.id)
        )
    )
