"""Who teaches whom: the queries that every trainer-facing page filters by."""

from sqlalchemy import Select, select

from trainer.models import CohortMember, Role, User, cohort_trainers


def taught_learner_ids(trainer: User) -> Select:
    """Ids of the current members of every cohort the trainer runs; for an admin, everyone."""
    if trainer.role == Role.ADMIN:
        return select(User.id)
    return (
        select(CohortMember.user_id)
        .join(cohort_trainers, cohort_trainers.c.cohort_id == CohortMember.cohort_id)
        .where(cohort_trainers.c.user_id == trainer.id, CohortMember.removed_at.is_(None))
    )


def runs_cohort(user: User, cohort_id: int) -> Select:
    """A query that finds a row when the user is one of the cohort's trainers."""
    return select(cohort_trainers.c.cohort_id).where(
        cohort_trainers.c.cohort_id == cohort_id, cohort_trainers.c.user_id == user.id
    )
