"""The trainer's dashboard over plain rows: the learners x assignments matrix, its filters,
per-assignment series and histograms, and the CSV export. No queries, no request.

Inputs are any objects with the named attributes (SQLAlchemy rows or dataclasses):
learners (id, name, email, profession), assignments (id, module_id, due_on) and progress
(user_id, module_id, status, percent, state, completed_at), the Progress rows of the cohort.
"""

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from trainer.models import Status, Verb

OVERDUE = "overdue"
STATUS_FILTERS = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETED, OVERDUE)
# Excel runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cell:
    status: Status
    percent: int
    quiz: float | None  # best quiz score, percent
    scenario: float | None  # best scenario score, percent
    overdue: bool


@dataclass(frozen=True)
class MatrixRow:
    learner: object
    cells: list[Cell]

    def has_status(self, status: str) -> bool:
        if status == OVERDUE:
            return any(cell.overdue for cell in self.cells)
        return any(cell.status == status for cell in self.cells)


def best_score(results: dict | None) -> float | None:
    """The highest "best" among a module's quizzes (or scenarios) in Progress.state."""
    scores = [entry["best"] for entry in (results or {}).values() if "best" in entry]
    return max(scores) if scores else None


def is_overdue(due_on: date | None, status: Status, today: date) -> bool:
    return due_on is not None and due_on < today and status != Status.COMPLETED


def cell_for(progress, due_on: date | None, today: date) -> Cell:
    if progress is None:
        return Cell(
            Status.NOT_STARTED, 0, None, None, is_overdue(due_on, Status.NOT_STARTED, today)
        )
    state = progress.state or {}
    return Cell(
        status=Status(progress.status),
        percent=progress.percent,
        quiz=best_score(state.get("quizzes")),
        scenario=best_score(state.get("scenarios")),
        overdue=is_overdue(due_on, progress.status, today),
    )


def build_matrix(learners, assignments, progress_rows, today: date) -> list[MatrixRow]:
    """One row per learner, one cell per assignment, in the order given."""
    by_key = {(p.user_id, p.module_id): p for p in progress_rows}
    return [
        MatrixRow(
            learner=learner,
            cells=[
                cell_for(by_key.get((learner.id, a.module_id)), a.due_on, today)
                for a in assignments
            ],
        )
        for learner in learners
    ]


def filter_matrix(rows: list[MatrixRow], profession=None, status=None) -> list[MatrixRow]:
    """Learners of one profession, and/or with at least one assignment in a status."""
    return [
        row
        for row in rows
        if (not profession or row.learner.profession == profession)
        and (not status or row.has_status(status))
    ]


@dataclass(frozen=True)
class ColumnTotals:
    completed: int
    overdue: int
    mean_percent: float


def column_totals(rows: list[MatrixRow], n_assignments: int) -> list[ColumnTotals]:
    totals = []
    for i in range(n_assignments):
        cells = [row.cells[i] for row in rows]
        totals.append(
            ColumnTotals(
                completed=sum(c.status == Status.COMPLETED for c in cells),
                overdue=sum(c.overdue for c in cells),
                mean_percent=sum(c.percent for c in cells) / len(cells) if cells else 0.0,
            )
        )
    return totals


# One learner: their events (LearningEvent rows), read for the drill-down ---------------------


def quiz_attempts(events) -> list:
    """Graded quiz attempts: "passed"/"failed" on ".../quiz/<id>", with result {"score": ...}."""
    return [e for e in events if e.verb in (Verb.PASSED, Verb.FAILED) and "/quiz/" in e.object_id]


def scenario_runs(events) -> list:
    """Scenarios played to an ending: "completed" on ".../scenario/<id>"."""
    return [e for e in events if e.verb == Verb.COMPLETED and "/scenario/" in e.object_id]


# One assignment ---------------------------------------------------------------------------


def completion_series(completed_on: list[date], start: date, end: date) -> list[tuple[date, int]]:
    """How many had completed by the end of each day from start to end (inclusive)."""
    if end < start:
        return []
    per_day = Counter(completed_on)
    done = sum(n for day, n in per_day.items() if day < start)
    series = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        done += per_day.get(day, 0)
        series.append((day, done))
    return series


@dataclass(frozen=True)
class Bin:
    low: int
    high: int  # inclusive
    count: int


def score_histogram(scores: list[float], width: int = 10) -> list[Bin]:
    """Counts of scores in bins of `width` points; the last bin includes 100."""
    edges = list(range(0, 100, width))
    counts = Counter(min(int(score // width) * width, edges[-1]) for score in scores)
    return [
        Bin(low, min(low + width - 1, 100) if low != edges[-1] else 100, counts[low])
        for low in edges
    ]


# Export ------------------------------------------------------------------------------------


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe.
    Spreadsheets read a fullwidth "＝" as "=", so the check is made on the NFKC form."""
    if isinstance(value, str) and unicodedata.normalize("NFKC", value).startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(table: list[list]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Cyrillic; formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table:
        writer.writerow([neutralise(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_table(rows: list[MatrixRow], headings: list[str], assignment_titles: list[str], labels):
    """Header and one line per learner: name, email, profession, then per assignment its
    status, percent, best quiz and scenario score and overdue flag. `labels` translates
    statuses, professions and yes/no for the reader of the file."""
    header = list(headings)
    for title in assignment_titles:
        header += [f"{title}: {labels['status']}", f"{title}: %", f"{title}: {labels['quiz']}",
                   f"{title}: {labels['scenario']}", f"{title}: {labels['overdue']}"]  # fmt: skip
    table = [header]
    for row in rows:
        line = [row.learner.name, row.learner.email, labels["profession"](row.learner.profession)]
        for cell in row.cells:
            line += [
                labels["status_of"](cell.status),
                cell.percent,
                _score(cell.quiz),
                _score(cell.scenario),
                labels["yes"] if cell.overdue else "",
            ]
        table.append(line)
    return table


def _score(value: float | None):
    return "" if value is None else round(value, 1)


# A learner's side: "My training" -----------------------------------------------------------


@dataclass(frozen=True)
class AssignedModule:
    slug: str
    title: dict  # {"ru": ..., "en": ...}
    cohort: str
    due_on: date | None
    status: Status
    percent: int
    overdue: bool


def assigned_modules(assignments, progress_by_module: dict, today: date, title_of) -> list:
    """One entry per assigned module, across all the learner's cohorts: the earliest due date
    wins when two cohorts assign the same module; soonest due first, undated last.

    `assignments` are (Assignment, cohort name) pairs; `title_of(assignment)` its title."""
    chosen = {}
    for assignment, cohort_name in assignments:
        current = chosen.get(assignment.module_id)
        if current is None or _due_key(assignment.due_on) < _due_key(current[0].due_on):
            chosen[assignment.module_id] = (assignment, cohort_name)
    entries = []
    for assignment, cohort_name in chosen.values():
        progress = progress_by_module.get(assignment.module_id)
        status = Status(progress.status) if progress else Status.NOT_STARTED
        entries.append(
            AssignedModule(
                slug=assignment.module.slug,
                title=title_of(assignment),
                cohort=cohort_name,
                due_on=assignment.due_on,
                status=status,
                percent=progress.percent if progress else 0,
                overdue=is_overdue(assignment.due_on, status, today),
            )
        )
    return sorted(entries, key=lambda e: (_due_key(e.due_on), e.slug))


def _due_key(due_on: date | None) -> date:
    return due_on or date.max
