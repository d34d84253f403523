"""Changes to cohorts: plain functions that change the session and flush; the view commits."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from trainer.extensions import db
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    InviteCode,
    ModuleVersion,
    Profession,
    Role,
    User,
)
from trainer.models.types import utcnow
from trainer.submissions import made_once


class CohortError(Exception):
    """A change that cannot be made; the message is for the trainer."""


@dataclass
class CohortData:
    name: str
    region: str
    starts_on: date | None
    ends_on: date | None
    trainer_ids: list[int]
    professions: list[str] | None = None  # None keeps the cohort's


def save_cohort(cohort: Cohort, data: CohortData, acting: User) -> Cohort:
    """Create or update a cohort. A trainer stays one of its trainers, so that saving the
    form never locks them out of their own cohort."""
    cohort.name = data.name.strip()
    cohort.region = (data.region or "").strip()
    cohort.starts_on, cohort.ends_on = data.starts_on, data.ends_on
    if data.professions is not None:
        allowed = {p.value for p in Profession}
        cohort.professions = [p for p in data.professions if p in allowed]
    ids = set(data.trainer_ids) | ({acting.id} if acting.role == Role.TRAINER else set())
    cohort.trainers = list(
        db.session.scalars(select(User).where(User.id.in_(ids), User.role != Role.LEARNER))
    )
    if cohort.id is None:
        cohort.created_by_id = acting.id
        db.session.add(cohort)
    db.session.flush()
    return cohort


def create_cohort(data: CohortData, acting: User, submission: str | None = None) -> Cohort:
    """A new cohort, once per submitted form: the same form sent again (token `submission`)
    finds the cohort it made (trainer.submissions)."""
    return made_once(
        Cohort,
        submission,
        lambda cohort: cohort.created_by_id == acting.id,
        lambda token: save_cohort(Cohort(submission_token=token), data, acting),
    )


@dataclass(frozen=True)
class Assigned:
    """What assigning did: a new assignment, or a changed one and its due date before."""

    assignment: Assignment
    created: bool
    due_before: date | None


def assign_module(
    cohort: Cohort,
    module_id: int,
    version_id: int | None,
    due_on: date | None,
    clear_due: bool = False,
) -> Assigned:
    """Assign a module (pinned to a version of it, or following the latest). Assigning the
    same module again changes its version, and its due date when one is given; without a
    date the due date is kept unless `clear_due` asks to remove it."""
    if version_id is not None:
        version = db.session.get(ModuleVersion, version_id)
        if version is None or version.module_id != module_id:
            raise CohortError("version_of_other_module")
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.cohort_id == cohort.id, Assignment.module_id == module_id
        )
    )
    created = assignment is None
    if created:
        assignment = Assignment(cohort_id=cohort.id, module_id=module_id)
        db.session.add(assignment)
    due_before = None if created else assignment.due_on
    assignment.module_version_id = version_id
    if due_on is not None or clear_due:
        assignment.due_on = due_on
    db.session.flush()
    return Assigned(assignment, created, due_before)


def due_in_past(due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today


def remove_member(member: CohortMember, now: datetime | None = None) -> None:
    """The learner leaves the cohort; their progress, events and certificates stay."""
    if member.removed_at is None:
        member.removed_at = now or utcnow()
    db.session.flush()


def create_cohort_invite(
    cohort: Cohort, days: int, max_uses: int, acting: User, submission: str | None = None
) -> InviteCode:
    """A learner invite that enrols whoever registers with it in the cohort; they register
    with one of the cohort's professions (trainer.accounts.invite_professions). Once per
    submitted form: the same form sent again (token `submission`) finds the code it made."""

    def make(token: str | None) -> InviteCode:
        invite = InviteCode(
            role=Role.LEARNER,
            profession=None,
            expires_at=utcnow() + timedelta(days=days),
            max_uses=max_uses,
            created_by_id=acting.id,
            cohort_id=cohort.id,
            submission_token=token,
        )
        db.session.add(invite)
        db.session.flush()
        return invite

    return made_once(
        InviteCode,
        submission,
        lambda invite: invite.cohort_id == cohort.id and invite.created_by_id == acting.id,
        make,
    )
