"""The dashboard's change stamp: one small read that differs whenever anything the
dashboard of a cohort shows could differ, so that what was computed for an equal stamp can
be shown again (trainer.cohorts.dashboard_cache).

What the dashboard reads, and how a change of it changes the stamp:
- the current members (accepted, not removed) with what the page shows, sorts, filters and
  searches of them (id, profession, name, email; the search key is made from the name and
  the email on every write of a user): written out in full, as four lists in one order;
- their progress rows, in any module: how many, and the sum of their row versions. Rows are
  never deleted, and every write of one bumps its version (the ORM's version counter, and
  trainer.learning.progress.TOUCH_PROGRESS); a graded quiz attempt, which the "failed a
  quiz twice" flag reads, is recorded with a write of the learner's progress in that
  module (trainer.learning.progress.record). With the members unchanged, the count and the
  sum only grow. Progress in a module the cohort does not assign makes the body again for
  nothing; it spares looking up each row's module;
- the assignments: id, module, pinned version, due date, creation time, and the version
  shown (its id and content hash, which the titles and pass marks come from): in full;
- the cohort's heading: its name, region and dates, and its trainers (ids and names): in
  full.
What the stamp does not hold is part of the cache's key instead: today's date, the language,
the time zone, the reader's right to change the cohort and the page's address.

Names and emails are separated by U+001E, a control character that none can hold
(trainer.inputs refuses them at the edge), and the assignments' fields by U+001F, so that
each list is read back one way only. One statement; on SQLite the members and their
progress are read from two indexes alone (migration a9c1e3f5b7d9), one range per member.
"""

from typing import NamedTuple

from sqlalchemy import Integer, String, and_, bindparam, cast, func, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from trainer.extensions import db
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    Module,
    ModuleVersion,
    Progress,
    User,
    cohort_trainers,
)

FIELD, ROW = "\x1f", "\x1e"


class Stamp(NamedTuple):
    ids: str | None  # the current members' ids, by commas
    professions: str | None  # theirs, in the same order
    names: str | None  # by ROW
    emails: str | None  # by ROW
    progress: str | None  # how many progress rows of theirs, and the sum of their versions
    assignments: str | None
    cohort: str | None  # its name, region, start and end dates
    trainers: str | None


class as_text(FunctionElement):
    """A number as text for string_agg (PostgreSQL's needs text); SQLite's group_concat
    writes a number as it is, and a CAST for each of a thousand members costs."""

    type = String()
    inherit_cache = True


@compiles(as_text)
def _as_text(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(as_text, "sqlite")
def _as_text_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


def _joined(*columns):
    """The columns as one text, FIELD between them (numbers and dates written as text)."""
    text = cast(columns[0], String)
    for column in columns[1:]:
        text = text + FIELD + cast(column, String)
    return text


def _statement(with_progress: bool):
    cohort_id = bindparam("cohort_id", type_=Integer)
    counting = and_(CohortMember.cohort_id == cohort_id, CohortMember.counts())
    # Four lists in the same order rather than one text per member: SQLite's || makes a
    # new string each time, and cost more than the rest of the read.
    members = (
        select(
            func.aggregate_strings(as_text(User.id), ",").label("ids"),
            func.aggregate_strings(User.profession, ",").label("professions"),
            func.aggregate_strings(User.name, ROW).label("names"),
            func.aggregate_strings(User.email, ROW).label("emails"),
        )
        .select_from(CohortMember)
        .join(User, User.id == CohortMember.user_id)
        .where(counting)
        .subquery("members")
    )
    # Every progress row of the members, in any module (see above), from the index alone.
    progress = (
        select(_joined(func.count(), func.coalesce(func.sum(Progress.row_version), 0)))
        .select_from(CohortMember)
        .join(Progress, Progress.user_id == CohortMember.user_id)
        .where(counting)
    )
    shown = func.coalesce(Assignment.module_version_id, Module.latest_version_id)
    assignments = (
        select(
            func.aggregate_strings(
                _joined(
                    Assignment.id,
                    Assignment.module_id,
                    func.coalesce(Assignment.module_version_id, 0),
                    func.coalesce(cast(Assignment.due_on, String), ""),
                    Assignment.created_at,
                    ModuleVersion.id,
                    ModuleVersion.content_hash,
                ),
                ROW,
            )
        )
        .select_from(Assignment)
        .join(Module, Module.id == Assignment.module_id)
        .join(ModuleVersion, ModuleVersion.id == shown)
        .where(Assignment.cohort_id == cohort_id)
    )
    optional = (Cohort.region, Cohort.starts_on, Cohort.ends_on)
    cohort = select(
        _joined(Cohort.name, *(func.coalesce(cast(column, String), "") for column in optional))
    ).where(Cohort.id == cohort_id)
    trainers = (
        select(func.aggregate_strings(_joined(User.id, User.name), ROW))
        .select_from(cohort_trainers)
        .join(User, User.id == cohort_trainers.c.user_id)
        .where(cohort_trainers.c.cohort_id == cohort_id)
    )
    progress_part = progress.scalar_subquery() if with_progress else null()
    return select(
        members.c.ids,
        members.c.professions,
        members.c.names,
        members.c.emails,
        progress_part,
        assignments.scalar_subquery(),
        cohort.scalar_subquery(),
        trainers.scalar_subquery(),
    ).select_from(members)


# Built once: every view of the dashboard reads the stamp, and every body made the recheck.
STAMP = _statement(with_progress=True)
RECHECK = _statement(with_progress=False)


def dashboard_stamp(cohort_id: int) -> Stamp:
    return Stamp._make(db.session.connection().execute(STAMP, {"cohort_id": cohort_id}).one())


def commit_mark():
    """On SQLite, this request's connection with its PRAGMA data_version, which changes when
    another connection commits: two equal marks mean nothing was committed in between, so
    every read between them saw one state. Elsewhere None (then the stamp is read again)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return None
    # Asked of sqlite3 itself: a number held in process, read in no time, not a query.
    sqlite = connection.connection.dbapi_connection
    return sqlite, sqlite.execute("PRAGMA data_version").fetchone()[0]


def still_holds(stamp: Stamp, cohort_id: int) -> bool:
    """Whether nothing changed since `stamp` was read, asked once a body is made from the
    database, before it is kept under the stamp: a change in between (the reads are not one
    snapshot) could return later (a learner renamed and renamed back, a member removed and
    added again, a due date changed back), and the body would then show the state between.
    The progress part is not read again: once a progress row of the members changed, their
    count and sum never come back to what the stamp holds (rows are never deleted, versions
    only grow), so a body kept under it is never shown."""
    found = db.session.connection().execute(RECHECK, {"cohort_id": cohort_id}).one()
    return Stamp._make(found) == stamp._replace(progress=None)
