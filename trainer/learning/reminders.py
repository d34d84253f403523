"""Reminders of due dates, and the trainers' weekly digest (`flask reminders send`).

Plain functions, no request. A learner (an accepted, current member of a cohort, whose account
is active, activated and verified) is reminded of an assignment not completed yet once when it
is due within `days` days and once when it is overdue; a trainer gets one digest per ISO week
of the cohorts they run (who is overdue, who failed a quiz twice without passing it). Each
reminder is recorded in `reminders_sent` only after the mail server took the message, so a run
that fails sends it again next time, and running twice sends nothing new.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from trainer import mail
from trainer.extensions import db
from trainer.learning.content import content_of
from trainer.models import (
    Assignment,
    AttemptState,
    Cohort,
    CohortMember,
    Module,
    Progress,
    QuizAttempt,
    ReminderSent,
    Role,
    Status,
    User,
    cohort_trainers,
)
from trainer.models.users import UNUSABLE_PASSWORD_PREFIX

DEFAULT_DAYS = 3
OVERDUE = "overdue"
DIGEST = "digest"
DIGEST_ROWS = 50


def reachable(user=User):
    """Accounts we write to: active, activated (a password is set) and with a verified email."""
    return and_(
        user.active.is_(True),
        user.email_verified_at.is_not(None),
        ~user.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX, autoescape=True),
    )


def due_kind(due_on: date, today: date, days: int) -> str | None:
    """"overdue", "due:<days>" when due within `days` days (today included), else None."""
    if due_on < today:
        return OVERDUE
    if (due_on - today).days <= days:
        return f"due:{days}"
    return None


def iso_week(today: date) -> str:
    year, week, _day = today.isocalendar()
    return f"{year}-W{week:02d}"


def assignment_title(assignment: Assignment) -> dict:
    return content_of(assignment.pinned_version or assignment.module.latest_version).meta.title


@dataclass(frozen=True)
class DueItem:
    assignment_id: int
    cohort: str
    title: dict
    due_on: date
    kind: str

    @property
    def ref(self) -> str:
        # A new due date is a new reminder: the trainer moved it, the learner should know.
        return f"a{self.assignment_id}@{self.due_on.isoformat()}"

    @property
    def overdue(self) -> bool:
        return self.kind == OVERDUE


# Learners ------------------------------------------------------------------------------------


def _assignment_options():
    return (
        joinedload(Assignment.module).joinedload(Module.latest_version),
        joinedload(Assignment.pinned_version),
    )


def open_assignments(until: date, cohort_id: int | None = None) -> list:
    """(User, Assignment, cohort name) of every reachable current member whose assignment is
    due on or before `until` and not completed; by learner and due date."""
    query = (
        select(User, Assignment, Cohort.name)
        .join(CohortMember, CohortMember.user_id == User.id)
        .join(Assignment, Assignment.cohort_id == CohortMember.cohort_id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .outerjoin(
            Progress,
            and_(Progress.user_id == User.id, Progress.module_id == Assignment.module_id),
        )
        .where(
            CohortMember.counts(),
            reachable(),
            Assignment.due_on.is_not(None),
            Assignment.due_on <= until,
            (Progress.status.is_(None)) | (Progress.status != Status.COMPLETED),
        )
        .options(*_assignment_options())
        .order_by(User.id, Assignment.due_on, Assignment.id)
    )
    if cohort_id is not None:
        query = query.where(Assignment.cohort_id == cohort_id)
    return db.session.execute(query).unique().all()


def already_sent(user_ids, kinds=None) -> set[tuple[int, str, str]]:
    query = select(ReminderSent.user_id, ReminderSent.kind, ReminderSent.ref).where(
        ReminderSent.user_id.in_(list(user_ids))
    )
    if kinds is not None:
        query = query.where(ReminderSent.kind.in_(kinds))
    return {tuple(row) for row in db.session.execute(query)}


def plan_learner_reminders(today: date, days: int) -> dict[User, list[DueItem]]:
    """Learner -> the reminders not sent yet (due within `days` days, or overdue)."""
    rows = open_assignments(today + timedelta(days=days))
    sent = already_sent({user.id for user, _a, _c in rows})
    plan: dict[User, list[DueItem]] = defaultdict(list)
    for user, assignment, cohort_name in rows:
        kind = due_kind(assignment.due_on, today, days)
        item = DueItem(assignment.id, cohort_name, assignment_title(assignment),
                       assignment.due_on, kind)  # fmt: skip
        if kind is not None and (user.id, kind, item.ref) not in sent:
            plan[user].append(item)
    return dict(plan)


def reminder_message(user: User, items: list[DueItem], today: date) -> mail.Message:
    overdue = any(item.overdue for item in items)
    subject = _l("Your training is overdue") if overdue else _l("Your training is due soon")
    return mail.compose(
        user,
        "mail/reminder",
        subject,
        items=items,
        today=today,
        link=mail.external_url("learn.my_training"),
    )


# Trainers' digest ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedTwice:
    name: str
    title: dict  # the module's
    quiz: object  # the quiz's title (ru/en), or its id when the version no longer has it
    failures: int


@dataclass
class CohortDigest:
    cohort: Cohort
    overdue: list = field(default_factory=list)  # (learner name, title, due date)
    failed: list[FailedTwice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.overdue and not self.failed

    # A large cohort's digest lists the first DIGEST_ROWS of each kind; the dashboard has all.
    @property
    def overdue_shown(self) -> list:
        return self.overdue[:DIGEST_ROWS]

    @property
    def failed_shown(self) -> list:
        return self.failed[:DIGEST_ROWS]

    @property
    def more(self) -> int:
        return len(self.overdue) - len(self.overdue_shown) + len(self.failed) - len(
            self.failed_shown
        )


def cohort_overdue(cohort: Cohort, today: date) -> list:
    """(learner name, module title, due date) of every overdue assignment of a current member
    (whether or not the learner can be written to)."""
    rows = db.session.execute(
        select(User.name, Assignment)
        .join(CohortMember, CohortMember.user_id == User.id)
        .join(Assignment, Assignment.cohort_id == CohortMember.cohort_id)
        .outerjoin(
            Progress,
            and_(Progress.user_id == User.id, Progress.module_id == Assignment.module_id),
        )
        .where(
            CohortMember.cohort_id == cohort.id,
            CohortMember.counts(),
            Assignment.due_on < today,
            (Progress.status.is_(None)) | (Progress.status != Status.COMPLETED),
        )
        .options(*_assignment_options())
        .order_by(User.name, User.id, Assignment.due_on)
    ).unique()
    return [(name, assignment_title(a), a.due_on) for name, a in rows]


def cohort_failed_twice(cohort: Cohort) -> list[FailedTwice]:
    """Current members who failed a quiz of an assigned module at least twice and have not
    passed it (any version of the module)."""
    failed = and_(QuizAttempt.state == AttemptState.GRADED, QuizAttempt.passed.is_(False))
    passed = QuizAttempt.passed.is_(True)
    rows = db.session.execute(
        select(User.name, QuizAttempt.module_id, QuizAttempt.quiz_id,
               func.sum(case((failed, 1), else_=0)))
        .join(User, User.id == QuizAttempt.user_id)
        .join(CohortMember, CohortMember.user_id == User.id)
        .join(Assignment, and_(Assignment.cohort_id == CohortMember.cohort_id,
                               Assignment.module_id == QuizAttempt.module_id))
        .where(CohortMember.cohort_id == cohort.id, CohortMember.counts())
        .group_by(User.id, User.name, QuizAttempt.module_id, QuizAttempt.quiz_id)
        .having(func.sum(case((failed, 1), else_=0)) >= 2,
                func.sum(case((passed, 1), else_=0)) == 0)
        .order_by(User.name, User.id)
    ).all()  # fmt: skip
    by_module = {a.module_id: a for a in cohort.assignments}
    found = []
    for name, module_id, quiz_id, failures in rows:
        content = content_of(
            by_module[module_id].pinned_version or by_module[module_id].module.latest_version
        )
        quiz = content.quizzes.get(quiz_id)
        found.append(
            FailedTwice(
                name,
                content.meta.title,
                quiz.title if quiz else {"ru": quiz_id, "en": quiz_id},
                int(failures),
            )
        )
    return found


def cohort_digest(cohort: Cohort, today: date) -> CohortDigest:
    return CohortDigest(cohort, cohort_overdue(cohort, today), cohort_failed_twice(cohort))


def plan_digests(today: date) -> dict[User, list[CohortDigest]]:
    """Trainer -> the digests of their cohorts that have something to report, for trainers
    not sent one this ISO week. A week with nothing to report sends (and records) nothing."""
    week = iso_week(today)
    rows = db.session.execute(
        select(User, Cohort)
        .join(cohort_trainers, cohort_trainers.c.user_id == User.id)
        .join(Cohort, Cohort.id == cohort_trainers.c.cohort_id)
        .where(reachable(), User.role.in_([Role.TRAINER, Role.ADMIN]))
        .order_by(User.id, Cohort.name, Cohort.id)
    ).all()
    sent = already_sent({user.id for user, _cohort in rows}, kinds=[DIGEST])
    digests: dict[int, CohortDigest] = {}
    plan: dict[User, list[CohortDigest]] = defaultdict(list)
    for user, cohort in rows:
        if (user.id, DIGEST, week) in sent:
            continue
        if cohort.id not in digests:
            digests[cohort.id] = cohort_digest(cohort, today)
        if not digests[cohort.id].empty:
            plan[user].append(digests[cohort.id])
    return dict(plan)


def digest_message(user: User, digests: list[CohortDigest], today: date) -> mail.Message:
    links = {
        d.cohort.id: mail.external_url("cohorts.dashboard", cohort_id=d.cohort.id)
        for d in digests
    }
    return mail.compose(
        user,
        "mail/digest",
        _l("Your cohorts this week"),
        digests=digests,
        links=links,
        week=iso_week(today),
    )


# Sending -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    reminders: int = 0  # messages to learners that the server took
    digests: int = 0
    error: str | None = None  # the mail server's failure, when it stopped the run


def record(user_id: int, kind: str, ref: str) -> None:
    db.session.add(ReminderSent(user_id=user_id, kind=kind, ref=ref))


def send_batch(batch: list, outcome: Outcome) -> int:
    """Send [(message, [(user id, kind, ref), ...]), ...] over one connection; record what
    went and commit. Returns how many went; on a server failure sets outcome.error."""
    messages = [message for message, _records in batch]
    try:
        mail.send_all(messages)
        went = messages
    except mail.MailUnavailable as failure:
        went = failure.sent
        outcome.error = str(failure)
    gone = {id(message) for message in went}
    for message, records in batch:
        if id(message) in gone:
            for user_id, kind, ref in records:
                record(user_id, kind, ref)
    db.session.commit()
    return len(went)


def send_reminders(today: date, days: int = DEFAULT_DAYS, digests: bool = True) -> Outcome:
    """Send what is due and record it. Learners first; then, unless the server failed, the
    trainers' digests."""
    outcome = Outcome()
    batch = [
        (reminder_message(user, items, today), [(user.id, i.kind, i.ref) for i in items])
        for user, items in plan_learner_reminders(today, days).items()
    ]
    outcome.reminders = send_batch(batch, outcome)
    if digests and outcome.error is None:
        week = iso_week(today)
        batch = [
            (digest_message(user, cohort_digests, today), [(user.id, DIGEST, week)])
            for user, cohort_digests in plan_digests(today).items()
        ]
        outcome.digests = send_batch(batch, outcome)
    return outcome
