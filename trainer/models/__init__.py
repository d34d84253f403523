"""Database models, one module per aggregate."""

from trainer.models.cohorts import Assignment, Cohort, CohortMember, cohort_trainers
from trainer.models.content import Module, ModuleAsset, ModuleVersion
from trainer.models.progress import LearningEvent, Progress, Status, Verb
from trainer.models.users import InviteCode, Profession, Role, User

__all__ = [
    "Assignment",
    "Cohort",
    "CohortMember",
    "InviteCode",
    "LearningEvent",
    "Module",
    "ModuleAsset",
    "ModuleVersion",
    "Profession",
    "Progress",
    "Role",
    "Status",
    "User",
    "Verb",
    "cohort_trainers",
]
