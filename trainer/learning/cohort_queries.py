"""Who teaches whom, and the cohort reads of the dashboard and the cohort pages.

Domain queries (the lower floor): trainer.policy, the learning engines and the blueprints use
them; this module imports no blueprint.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    select,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from trainer.extensions import db
from trainer.models import (
    Assignment,
    Certificate,
    Cohort,
    CohortMember,
    InviteCode,
    LearningEvent,
    Module,
    ModuleVersion,
    Profession,
    Progress,
    Role,
    Status,
    User,
    Verb,
    cohort_trainers,
)
from trainer.models.progress import QUIZ_RESULTS
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

# Rows the dashboard reads by the thousand come back as named tuples: an attribute of a
# SQLAlchemy Row is found only after the lookup on its type has failed, and the
# AttributeError made and dropped each time cost a twentieth of the dashboard page.


class ProgressRow(NamedTuple):
    user_id: int
    module_id: int
    status: Status
    percent: int
    state: dict
    completed_at: datetime | None


PROGRESS_COLUMNS = (
    Progress.user_id,
    Progress.module_id,
    Progress.status,
    Progress.percent,
    Progress.state,
    Progress.completed_at,
)


def progress_rows(query) -> list[ProgressRow]:
    return [ProgressRow._make(row) for row in db.session.execute(query)]


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


# Built once, like the dashboard's other reads below: every cohort page asks it.
COHORT_ASSIGNMENTS = (
    select(Assignment)
    .where(Assignment.cohort_id == bindparam("cohort_id"))
    .options(
        joinedload(Assignment.module).joinedload(Module.latest_version),
        joinedload(Assignment.pinned_version),
    )
    .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)
)


def cohort_assignments(cohort_id: int) -> list[Assignment]:
    """Assignments with their module, its latest version and the pinned one; by due date."""
    return list(db.session.scalars(COHORT_ASSIGNMENTS, {"cohort_id": cohort_id}).unique())


def cohort_progress(cohort_id: int, module_ids: list[int] | None = None) -> list[ProgressRow]:
    """The Progress rows of current members for the cohort's assigned modules (or some)."""
    assigned = select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
    query = select(*PROGRESS_COLUMNS).where(
        Progress.user_id.in_(current_members(cohort_id)),
        Progress.module_id.in_(module_ids if module_ids is not None else assigned),
    )
    return progress_rows(query)


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


# Built once, as plain columns: "My training" asks it on every view, and loading Assignment
# objects with their module and versions cost a fifth of the page even for no assignment.
LEARNER_ASSIGNMENTS = (
    select(
        Assignment.module_id,
        Assignment.due_on,
        Cohort.name.label("cohort"),
        Module.slug,
        ModuleVersion.id.label("version_id"),
        ModuleVersion.content_hash,
    )
    .join(Cohort, Cohort.id == Assignment.cohort_id)
    .join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
    .join(Module, Module.id == Assignment.module_id)
    .join(
        ModuleVersion,
        ModuleVersion.id == func.coalesce(Assignment.module_version_id, Module.latest_version_id),
    )
    .where(CohortMember.user_id == bindparam("user_id"), CohortMember.counts())
    .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)
)


def learner_assignments(user_id: int) -> list:
    """Every assignment of the cohorts the user is an accepted, current member of: module_id,
    due_on, cohort (its name), slug, and the version it shows (version_id, content_hash)."""
    return db.session.execute(LEARNER_ASSIGNMENTS, {"user_id": user_id}).all()


def pinned_version_of(module_id):
    """The version a cohort of the learner `user_id` (a parameter) pins the module `module_id`
    to (the newest pin wins): a statement, or a column of a larger one (the module page's)."""
    return (
        select(Assignment.module_version_id)
        .join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
        .where(
            CohortMember.user_id == bindparam("user_id"),
            CohortMember.counts(),
            Assignment.module_id == module_id,
            Assignment.module_version_id.is_not(None),
        )
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
        .limit(1)
    )


# Built once: every start or restart of a module asks it.
PINNED_VERSION = pinned_version_of(bindparam("module_id"))


def pinned_version_id(user_id: int, module_id: int) -> int | None:
    """The version a cohort of the user pins this module to (the newest pin wins), if any."""
    return db.session.scalar(PINNED_VERSION, {"user_id": user_id, "module_id": module_id})


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
    """(version id, module slug, version number, stored at) of every stored version."""
    return db.session.execute(
        select(ModuleVersion.id, Module.slug, ModuleVersion.number, ModuleVersion.created_at)
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


# The dashboard page: who needs the trainer now, filtered, sorted and paged in SQL. ---------


@dataclass(frozen=True)
class DashboardView:
    """What the dashboard shows: filters, search (folded), sort and page. `sort` is "name",
    "profession" or an assigned module's id as text ("m12"); `profession_order` lists the
    profession values in the order of their labels in the reader's language."""

    today: date
    assigned: int  # how many assignments the cohort has
    profession: str | None = None
    status: str | None = None
    search: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 50
    profession_order: tuple[str, ...] = ()


class not_indexed(FunctionElement):
    """An integer column that SQLite must not look up by index: written `+column` there
    (SQLite then filters the rows an index range found by the other columns, instead of
    seeking once per value of an IN list). Other databases get the column as it is: their
    planners weigh the choice themselves, and PostgreSQL misjudges `column + 0`."""

    type = Integer()
    inherit_cache = True


@compiles(not_indexed)
def _not_indexed(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _learner_facts(cohort_id: int, today: date):
    """Per current member: assignments done, started and overdue. Read from the member's
    own progress rows in the assigned modules (one index range per member, not a lookup per
    member and assignment); overdue is the number of past-due assignments less those of
    them completed (a learner has one progress row per module, a cohort one assignment)."""
    assigned = select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
    past_due = (
        select(func.count())
        .where(Assignment.cohort_id == cohort_id, Assignment.due_on < today)
        .scalar_subquery()
    )
    completed = Progress.status == Status.COMPLETED
    started = Progress.status.in_([Status.IN_PROGRESS, Status.COMPLETED])
    completed_late = and_(completed, Assignment.due_on < today)
    return (
        select(
            CohortMember.user_id.label("user_id"),
            func.coalesce(func.sum(case((completed, 1), else_=0)), 0).label("done"),
            func.coalesce(func.sum(case((started, 1), else_=0)), 0).label("started"),
            (past_due - func.coalesce(func.sum(case((completed_late, 1), else_=0)), 0)).label(
                "overdue"
            ),
        )
        .select_from(CohortMember)
        .outerjoin(
            Progress,
            and_(
                Progress.user_id == CohortMember.user_id,
                not_indexed(Progress.module_id).in_(assigned),
            ),
        )
        .outerjoin(
            Assignment,
            and_(Assignment.cohort_id == cohort_id, Assignment.module_id == Progress.module_id),
        )
        .where(CohortMember.cohort_id == cohort_id, CohortMember.counts())
        .group_by(CohortMember.user_id)
        .subquery("facts")
    )


def failed_twice_ids(cohort_id: int) -> Select:
    """Members who failed one quiz of an assigned module at least twice and never passed it.
    The quiz results are read by member (one index range each), the version filtered."""
    versions = select(ModuleVersion.id).where(
        ModuleVersion.module_id.in_(
            select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
        )
    )
    failed = LearningEvent.verb == Verb.FAILED
    return (
        select(LearningEvent.user_id)
        .where(
            LearningEvent.user_id.in_(current_members(cohort_id)),
            not_indexed(LearningEvent.module_version_id).in_(versions),
            text(QUIZ_RESULTS),
            LearningEvent.object_id.contains("/quiz/", autoescape=True),
        )
        .group_by(LearningEvent.user_id, LearningEvent.object_id)
        .having(
            func.sum(case((failed, 1), else_=0)) >= 2,
            func.sum(case((failed, 0), else_=1)) == 0,
        )
    )


def _scope(shape: "_Shape"):
    """The profession filter and the name search as one condition (the status filter is
    applied on its own); their values are the parameters "profession" and "search"."""
    condition = true()
    if shape.profession:
        condition = and_(condition, User.profession == bindparam("profession"))
    if shape.search:
        condition = and_(condition, User.search_key.like(bindparam("search"), escape="/"))
    return condition


def _learners(shape: "_Shape"):
    """Per current member, computed once for the counts and the page: id, name, email,
    profession, done, started, overdue, failed_twice, and in_scope (1 when the profession
    filter and the search select them)."""
    cohort_id = bindparam("cohort_id")
    facts = _learner_facts(cohort_id, bindparam("today", type_=Date))
    return (
        select(
            User.id,
            User.name,
            User.email,
            User.profession,
            facts.c.done,
            facts.c.started,
            facts.c.overdue,
            facts.c.user_id.in_(failed_twice_ids(cohort_id)).label("failed_twice"),
            case((_scope(shape), 1), else_=0).label("in_scope"),
        )
        .select_from(facts)
        .join(User, User.id == facts.c.user_id)
        .cte("learners")
    )


STATUSES = ("not_started", "in_progress", "overdue", "failed_twice", "completed")


def _status_conditions(learners, any_assigned: bool) -> dict:
    """A learner's standing over all the assignments (dashboard.SUMMARY_STATUSES); the
    number of assignments is the parameter "assigned"."""
    assigned = bindparam("assigned", type_=Integer)
    return {
        "not_started": learners.c.started == 0,
        "in_progress": and_(learners.c.started > 0, learners.c.done < assigned),
        "overdue": learners.c.overdue > 0,
        "failed_twice": learners.c.failed_twice,
        "completed": learners.c.done >= assigned if any_assigned else false(),
    }


def _counts(learners, conditions: dict) -> Select:
    """How many current members ("n_members"), how many the filter and search select
    ("n_all"), and of those how many are in each summary status ("n_overdue"...): named
    apart from the page's columns they come with."""
    in_scope = learners.c.in_scope == 1
    columns = [
        func.count().label("n_members"),
        func.coalesce(func.sum(learners.c.in_scope), 0).label("n_all"),
    ] + [
        func.coalesce(func.sum(case((and_(in_scope, condition), 1), else_=0)), 0).label(f"n_{name}")
        for name, condition in conditions.items()
    ]
    return select(*columns).select_from(learners)


def _sort_key(learners, shape: "_Shape"):
    """What the page is sorted by first (then by name and id); a module's id is the
    parameter "sort_module"."""
    if shape.sort == "profession":
        ranks = {Profession(value): n for n, value in enumerate(shape.profession_order)}
        return case(ranks, value=learners.c.profession, else_=len(ranks))
    if shape.sort == "module":
        percent = (
            select(Progress.percent)
            .where(
                Progress.user_id == learners.c.id,
                Progress.module_id == bindparam("sort_module", type_=Integer),
            )
            .scalar_subquery()
        )
        return func.coalesce(percent, -1)  # not started sorts below started at 0%
    return learners.c.name


def _order(columns, shape: "_Shape") -> list:
    key = columns.sort_key
    return [key.desc() if shape.descending else key, columns.name, columns.id]


def _page(learners, conditions: dict, shape: "_Shape") -> Select:
    """The learners the filters select with their sort key, in order; one page of them
    (parameters "limit" and "offset") unless the shape is not paged."""
    query = select(
        learners.c.id,
        learners.c.name,
        learners.c.email,
        learners.c.profession,
        learners.c.done,
        learners.c.overdue,
        learners.c.failed_twice,
        _sort_key(learners, shape).label("sort_key"),
    ).where(learners.c.in_scope == 1)
    if shape.status:
        query = query.where(conditions[shape.status])
    query = query.order_by(*_order(query.selected_columns, shape))
    if shape.paged:
        query = query.limit(bindparam("limit", type_=Integer))
        query = query.offset(bindparam("offset", type_=Integer))
    return query


# The dashboard's counts: every current member, those the filter selects, and each status.
COUNTS = ("members", "all", *STATUSES)


class LearnerRow(NamedTuple):
    id: int
    name: str
    email: str
    profession: Profession
    done: int
    overdue: int
    failed_twice: bool


@dataclass(frozen=True)
class DashboardPage:
    counts: dict[str, int]  # COUNTS
    rows: list[LearnerRow]
    matches: int  # how many learners the filters select, on all pages (0 past the last)


class _Shape(NamedTuple):
    """What the dashboard's statement depends on besides its parameters: statements are
    built once per shape (a page's took a tenth of its time to build, every time)."""

    profession: bool
    search: bool
    status: str | None
    sort: str  # "name", "profession" or "module"
    profession_order: tuple[str, ...]
    descending: bool
    paged: bool
    any_assigned: bool


@lru_cache(maxsize=256)
def _dashboard_statement(shape: _Shape) -> Select:
    learners = _learners(shape)
    conditions = _status_conditions(learners, shape.any_assigned)
    counts = _counts(learners, conditions).subquery("counts")
    page = _page(learners, conditions, shape).subquery("page")
    # The learner's columns first, then the counts, read by position (see ProgressRow).
    return (
        select(*(page.c[name] for name in LearnerRow._fields), counts)
        .select_from(counts.outerjoin(page, true()))
        .order_by(*_order(page.c, shape))
    )


def _like_contains(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its wildcards and "/" escaped by "/"."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _shape_and_parameters(cohort_id: int, view: DashboardView) -> tuple[_Shape, dict]:
    by_module = view.sort.startswith("m") and view.sort[1:].isdigit()
    by_profession = view.sort == "profession" and bool(view.profession_order)
    sort = "profession" if by_profession else "module" if by_module else "name"
    shape = _Shape(
        profession=bool(view.profession),
        search=bool(view.search),
        status=view.status if view.status in STATUSES else None,
        sort=sort,
        profession_order=view.profession_order if sort == "profession" else (),
        descending=view.descending,
        paged=bool(view.per_page),
        any_assigned=bool(view.assigned),
    )
    parameters = {"cohort_id": cohort_id, "today": view.today, "assigned": view.assigned}
    if shape.profession:
        parameters["profession"] = Profession(view.profession)
    if shape.search:
        parameters["search"] = _like_contains(view.search)
    if sort == "module":
        parameters["sort_module"] = int(view.sort[1:])
    if shape.paged:
        parameters["limit"] = view.per_page
        parameters["offset"] = (max(view.page, 1) - 1) * view.per_page
    return shape, parameters


def dashboard_page(cohort_id: int, view: DashboardView) -> DashboardPage:
    """The counts and one page of learners (every matching learner if `view.per_page` is
    0) in one query, each member's facts computed once for both: the counts come on every
    row, and on a row of their own when no learner is on the page."""
    shape, parameters = _shape_and_parameters(cohort_id, view)
    found = db.session.connection().execute(_dashboard_statement(shape), parameters).all()
    width = len(LearnerRow._fields)
    totals = dict(zip(COUNTS, map(int, found[0][width:]), strict=True))
    rows = [LearnerRow._make(row[:width]) for row in found if row[0] is not None]
    matches = totals[shape.status or "all"] if rows else 0
    return DashboardPage(totals, rows, matches)


PROGRESS_OF = select(*PROGRESS_COLUMNS).where(
    Progress.user_id.in_(bindparam("user_ids", expanding=True)),
    Progress.module_id.in_(
        select(Assignment.module_id).where(Assignment.cohort_id == bindparam("cohort_id"))
    ),
)


def progress_of(cohort_id: int, user_ids: list[int]) -> list[ProgressRow]:
    """The Progress rows of these learners in the cohort's assigned modules (a query even
    for none, so that a page makes the same queries whether it is full or empty)."""
    found = db.session.connection().execute(
        PROGRESS_OF, {"cohort_id": cohort_id, "user_ids": user_ids}
    )
    return [ProgressRow._make(row) for row in found]


def cohort_certificates(cohort_id: int) -> dict[tuple[int, int], Certificate]:
    """The newest valid certificate of each current member in each assigned module."""
    assigned = select(Assignment.module_id).where(Assignment.cohort_id == cohort_id)
    found = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.user_id.in_(current_members(cohort_id)),
            Certificate.module_id.in_(assigned),
            Certificate.revoked_at.is_(None),
        )
        .order_by(Certificate.issued_at, Certificate.id)
    )
    return {(c.user_id, c.module_id): c for c in found}


def versions_by_id(version_ids) -> dict[int, ModuleVersion]:
    """The module versions of these ids, to read item titles from their content."""
    if not version_ids:
        return {}
    found = db.session.scalars(select(ModuleVersion).where(ModuleVersion.id.in_(version_ids)))
    return {version.id: version for version in found}


CHART_ROWS = select(
    (Progress.status == Status.COMPLETED).label("completed"),
    Progress.completed_at,
    Progress.state["quizzes"].label("quizzes"),
).where(
    Progress.user_id.in_(current_members(bindparam("cohort_id"))),
    Progress.module_id == bindparam("module_id"),
)


def chart_rows(cohort_id: int, module_id: int) -> list:
    """For the dashboard's charts of one module, a row per current member with progress:
    (completed: bool, completed_at, quizzes), where `quizzes` is only the quiz part of
    Progress.state (less to decode). Plain rows, read through the connection: named tuples
    and the ORM's handling of each row cost more than the charts themselves."""
    return (
        db.session.connection()
        .execute(CHART_ROWS, {"cohort_id": cohort_id, "module_id": module_id})
        .all()
    )
