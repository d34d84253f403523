"""The trainer's dashboard over plain rows: the learners x assignments matrix of one page,
per-assignment series and histograms, and the export (CSV and XLSX). No queries, no request;
filtering, sorting and paging are done in SQL (trainer.learning.cohort_queries).

Inputs are any objects with the named attributes (SQLAlchemy rows or dataclasses):
learners (id, name, email, profession), assignments (id, module_id, due_on) and progress
(user_id, module_id, status, percent, state, completed_at), the Progress rows of the cohort.
"""

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from trainer.models import Status, Verb

OVERDUE = "overdue"
FAILED_TWICE = "failed_twice"  # failed one quiz at least twice and not passed it yet
# A learner's standing over all of a cohort's assignments, in the order the dashboard shows.
SUMMARY_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS, OVERDUE, FAILED_TWICE, Status.COMPLETED)
# Excel runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Cell(NamedTuple):  # a tuple: a page makes hundreds, a frozen dataclass is slow to make
    status: Status
    percent: int
    quiz: float | None  # best quiz score, percent
    scenario: float | None  # best scenario score, percent
    overdue: bool
    completed_at: datetime | None = None


@dataclass(frozen=True)
class MatrixRow:
    learner: object
    cells: list[Cell]


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
        completed_at=progress.completed_at,
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


# One learner: their events (LearningEvent rows), read for the drill-down ---------------------


def quiz_attempts(events) -> list:
    """Graded quiz attempts: "passed"/"failed" on ".../quiz/<id>", with result {"score": ...}."""
    return [e for e in events if e.verb in (Verb.PASSED, Verb.FAILED) and "/quiz/" in e.object_id]


def scenario_runs(events) -> list:
    """Scenarios played to an ending: "completed" on ".../scenario/<id>"."""
    return [e for e in events if e.verb == Verb.COMPLETED and "/scenario/" in e.object_id]


# One assignment ---------------------------------------------------------------------------


def local_dates(instants: list[datetime], zone) -> list[date]:
    """The dates in `zone` of these aware instants. A zone's offset changes a few times a
    year at most, so each UTC day whose first and last microsecond have the same offset is
    converted once, with that offset, and only an instant of a day with a change on its own
    (converting each completion with pytz cost a fortieth of the dashboard page)."""
    offsets = {}
    dates = []
    for instant in instants:
        moment = instant.astimezone(UTC)
        day = moment.date()
        if day not in offsets:
            first = datetime.combine(day, time(), UTC)
            last = first + timedelta(days=1, microseconds=-1)
            before, after = first.astimezone(zone).utcoffset(), last.astimezone(zone).utcoffset()
            offsets[day] = before if before == after else None
        offset = offsets[day]
        dates.append(
            (moment + offset).date() if offset is not None else instant.astimezone(zone).date()
        )
    return dates


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


@dataclass(frozen=True)
class ExportLabels:
    """The reader's words for the file: column headings, statuses, professions, "yes"."""

    headings: list[str]  # one per column of EXPORT_FIELDS
    status: Callable[[Status], str]
    profession: Callable[[object], str]
    yes: str


# One line per learner and assignment ("long" format): one heading per field, so that a
# spreadsheet filters and pivots it; the module is a column, not a heading.
EXPORT_FIELDS = (
    "name", "email", "profession", "module", "slug", "due_on", "status", "percent",
    "quiz", "scenario", "overdue", "completed_on", "certificate",
)  # fmt: skip


def export_table(
    rows: list[MatrixRow],
    assignments: list,
    titles: list[str],
    certificates: dict,
    local_date: Callable,
    labels: ExportLabels,
) -> list[list]:
    """Header and one line per learner and assignment. `certificates` maps (user id,
    module id) to the certificate's number; `local_date` turns a completion instant into
    the reader's date; `completed_at` comes from each cell."""
    table = [list(labels.headings)]
    for row in rows:
        learner = row.learner
        for assignment, title, cell in zip(assignments, titles, row.cells, strict=True):
            table.append(
                [
                    learner.name,
                    learner.email,
                    labels.profession(learner.profession),
                    title,
                    assignment.module.slug,
                    assignment.due_on,
                    labels.status(cell.status),
                    cell.percent,
                    _score(cell.quiz),
                    _score(cell.scenario),
                    labels.yes if cell.overdue else "",
                    local_date(cell.completed_at) if cell.completed_at else None,
                    certificates.get((learner.id, assignment.module_id), ""),
                ]
            )
    return table


def _score(value: float | None):
    return None if value is None else round(value, 1)


# Separators offered for the CSV: ";" is what Russian Excel splits on (its lists use ";"
# because "," is the decimal sign); "," for everything else.
CSV_SEPARATORS = {"semicolon": ";", "comma": ","}


def csv_text(value, separator: str) -> str:
    """A cell as the spreadsheet of that separator reads it: with ";", dates as 31.12.2026
    and a decimal comma; with ",", ISO dates and a decimal point."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y") if separator == ";" else value.isoformat()
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if separator == ";" else text
    return str(neutralise(value))


def csv_bytes(table: list[list], separator: str = ",") -> bytes:
    """UTF-8 with a BOM, so that Excel shows Cyrillic; formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    for row in table:
        writer.writerow([csv_text(value, separator) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


DATE_FORMAT = "DD.MM.YYYY"


def xlsx_bytes(table: list[list], sheet_title: str) -> bytes:
    """The table as an XLSX workbook: dates as dates, numbers as numbers, every text a
    string cell (formula-like texts neutralised as in the CSV, so never a formula); the
    header row bold and frozen, with a filter."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    width = len(table[0]) if table else 0
    for index in range(width):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18
    if width:
        sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{len(table)}"
    bold = Font(bold=True)
    for number, row in enumerate(table):
        sheet.append([_xlsx_cell(sheet, value, bold if number == 0 else None) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value, font):
    """A date or a header cell needs a style; any other value goes in as it is (a text is
    neutralised first, so that it never starts with "=" and is never read as a formula)."""
    if isinstance(value, str):
        value = neutralise(value)
    if font is None and not isinstance(value, date):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if font is not None:
        cell.font = font
    return cell


def _sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Sheet1"


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

    `assignments` have module_id, due_on, slug and cohort (its name); `title_of(assignment)`
    is its title."""
    chosen = {}
    for assignment in assignments:
        current = chosen.get(assignment.module_id)
        if current is None or _due_key(assignment.due_on) < _due_key(current.due_on):
            chosen[assignment.module_id] = assignment
    entries = []
    for assignment in chosen.values():
        progress = progress_by_module.get(assignment.module_id)
        status = Status(progress.status) if progress else Status.NOT_STARTED
        entries.append(
            AssignedModule(
                slug=assignment.slug,
                title=title_of(assignment),
                cohort=assignment.cohort,
                due_on=assignment.due_on,
                status=status,
                percent=progress.percent if progress else 0,
                overdue=is_overdue(assignment.due_on, status, today),
            )
        )
    return sorted(entries, key=lambda e: (_due_key(e.due_on), e.slug))


def _due_key(due_on: date | None) -> date:
    return due_on or date.max
