"""Database models, one module per aggregate."""

from trainer.models.audit import AuditEntry
from trainer.models.certificates import Certificate
from trainer.models.classroom import ClassParticipant, ClassSession, ClassVote
from trainer.models.cohorts import Assignment, Cohort, CohortMember, cohort_trainers
from trainer.models.content import Module, ModuleAsset, ModuleVersion
from trainer.models.mail import CohortMailing, MailingSubmission, ReminderSent
from trainer.models.progress import LearningEvent, Progress, Status, Verb
from trainer.models.quizzes import AttemptState, QuizAnswer, QuizAttempt
from trainer.models.scenarios import RunStatus, ScenarioRun
from trainer.models.users import ActivationToken, InviteCode, Profession, Role, User

__all__ = [
    "ActivationToken",
    "Assignment",
    "AttemptState",
    "AuditEntry",
    "Certificate",
    "ClassParticipant",
    "ClassSession",
    "ClassVote",
    "Cohort",
    "CohortMailing",
    "CohortMember",
    "InviteCode",
    "LearningEvent",
    "MailingSubmission",
    "Module",
    "ModuleAsset",
    "ModuleVersion",
    "Profession",
    "Progress",
    "QuizAnswer",
    "QuizAttempt",
    "ReminderSent",
    "Role",
    "RunStatus",
    "ScenarioRun",
    "Status",
    "User",
    "Verb",
    "cohort_trainers",
]
