"""Enrolling a roster file into a cohort: parse, preview, apply. Plain functions, no request.

A roster is the CSV a trainer saves from Excel: name, email, profession and optionally language,
in UTF-8 (with or without BOM) or Windows-1251, separated by commas or semicolons.
"""

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from trainer.accounts import mixed_script_problem, normalize_email
from trainer.extensions import db
from trainer.inputs import has_control_characters
from trainer.models import Cohort, CohortMember, Profession, Role, User
from trainer.models.types import utcnow
from trainer.models.users import EMAIL_MAX, NAME_MAX, UNUSABLE_PASSWORD_PREFIX, fold_for_search

MAX_ROSTER_BYTES = 2 * 1024 * 1024

COLUMN_ALIASES = {
    "name": {"name", "full name", "имя", "фио", "ф.и.о.", "ф. и. о.", "полное имя",
             "фамилия имя отчество", "фамилия, имя, отчество", "first name", "given name"},
    "email": {"email", "e-mail", "mail", "почта", "эл. почта", "эл.почта", "электронная почта",
              "адрес электронной почты", "электронный адрес", "email address",
              "e-mail address"},
    "profession": {"profession", "профессия", "должность"},
    "language": {"language", "locale", "lang", "язык"},
    # A name in columns of its own, as Russian lists keep it: Фамилия; Имя; Отчество.
    "surname": {"фамилия", "surname", "last name", "family name"},
    "patronymic": {"отчество", "patronymic", "middle name"},
}  # fmt: skip
REQUIRED_COLUMNS = ("name", "email", "profession")
NAME_PARTS = ("surname", "name", "patronymic")
MAX_LINES_ABOVE_HEADER = 5
# Excel's first line `sep=;` names the separator of the lines below it.
SEPARATOR_LINE = re.compile(r"^sep=(.)$")
PROFESSION_ALIASES = {
    Profession.POLICE: {"police", "police officer", "officer", "полиция", "полицейский",
                        "сотрудник полиции", "участковый"},
    Profession.JUDGE: {"judge", "судья", "суд"},
    Profession.PROSECUTOR: {"prosecutor", "прокурор", "прокуратура"},
    Profession.SOCIAL_WORKER: {"social_worker", "social worker", "psychologist",
                               "социальный работник", "соцработник", "психолог"},
    Profession.CRISIS_CENTRE: {"crisis_centre", "crisis centre", "crisis center",
                               "кризисный центр", "сотрудник кризисного центра"},
    Profession.OTHER: {"other", "другое", "иное"},
}  # fmt: skip
PROFESSION_BY_ALIAS = {alias: p for p, aliases in PROFESSION_ALIASES.items() for alias in aliases}
LANGUAGE_ALIASES = {
    "ru": "ru", "rus": "ru", "russian": "ru", "русский": "ru", "рус": "ru",
    "en": "en", "eng": "en", "english": "en", "английский": "en", "англ": "en",
}  # fmt: skip


class RosterError(Exception):
    """The file as a whole cannot be read; the message says why, for the trainer."""


@dataclass
class RosterRow:
    line: int
    name: str
    email: str
    profession: Profession | None
    locale: str | None
    problems: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class Roster:
    rows: list[RosterRow]
    encoding: str
    delimiter: str
    header_line: int = 1  # the line that names the columns


def parse_roster(data: bytes) -> Roster:
    """Rows with their line numbers and problems; RosterError when the file is unreadable."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(_l("The file is larger than 2 MB. Split it into smaller files."))
    text, encoding = decode_roster(data)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise RosterError(_l("The file is empty."))
    kept = text.splitlines(keepends=True)
    skipped, delimiter = find_header(kept)  # lines above the column names: a title, sep=;
    reader = csv.reader(io.StringIO("".join(kept[skipped:]), newline=""), delimiter=delimiter)
    rows, start = [], 1 + skipped  # the line a row starts on: a quoted cell may hold line breaks
    try:
        header = next(reader, [])
        columns = header_columns(header)
        start = reader.line_num + 1 + skipped
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(row_from(start, cells, columns))
                last = reader.line_num + skipped
                if last > start and runs_on_past_its_end(cells, columns, len(header), delimiter):
                    rows[-1].problems.insert(0, runs_on(last))
            start = reader.line_num + 1 + skipped
    except csv.Error:
        # A cell past the csv module's limit (128 KB): a quotation mark never closed.
        raise RosterError(
            _l("Line %(line)s cannot be read: a cell runs on for more than 100,000 characters. "
               "Check for a quotation mark that is not closed.", line=start)
        ) from None  # fmt: skip
    mark_duplicates(rows)
    return Roster(rows=rows, encoding=encoding, delimiter=delimiter, header_line=skipped + 1)


def find_header(lines: list[str]) -> tuple[int, str]:
    """(index, separator) of the line that names the columns: the first line, or one of the
    few below it when a title ("Список слушателей") or Excel's `sep=;` comes first. With none
    found, the first line, whose missing columns header_columns names."""
    named = SEPARATOR_LINE.match(lines[0].strip())
    first = 1 if named else 0
    for index in range(first, min(len(lines), first + MAX_LINES_ABOVE_HEADER + 1)):
        delimiter = named.group(1) if named else detect_delimiter(lines[index])
        cells = next(csv.reader([lines[index]], delimiter=delimiter), [])
        if not missing_columns(columns_named(cells)):
            return index, delimiter
    header = lines[first] if first < len(lines) else ""
    return first, named.group(1) if named else detect_delimiter(header)


def runs_on_past_its_end(cells: list[str], columns: dict, width: int, delimiter: str) -> bool:
    """A row read over several lines is either a cell Excel saved with a line break in it
    (Alt+Enter: a note, a name on two lines), which is fine, or a quotation mark left open,
    which swallowed the lines after it into one cell: the row then has another number of
    cells than the header, or a cell it reads holds whole lines of the file."""
    if len(cells) != width:
        return True
    return any(
        "\n" in cells[i] and delimiter in cells[i] for i in columns.values() if i < len(cells)
    )


def runs_on(last_line: int):
    """No roster cell holds a line break: a row read over several lines is a quotation mark
    left open, which swallowed the lines after it."""
    return _l(
        "This row runs on to line %(line)s: check for a quotation mark that is not closed.",
        line=last_line,
    )


def decode_roster(data: bytes) -> tuple[str, str]:
    """UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else Windows-1251."""
    if b"\x00" in data:
        # UTF-16 ("Unicode text" in Excel) or not a text file at all.
        raise RosterError(
            _l("The file is not a CSV text file in UTF-8 or Windows-1251. In Excel choose "
               "“CSV UTF-8” or “CSV (comma delimited)” when saving.")
        )  # fmt: skip
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "windows-1251"
    except UnicodeDecodeError as error:
        raise RosterError(
            _l("The file is neither UTF-8 nor Windows-1251 text (byte %(position)s).",
               position=error.start + 1)
        ) from None  # fmt: skip


def detect_delimiter(header: str) -> str:
    """The character the header line is split by most often: Russian Excel saves with
    semicolons (the comma is its decimal separator), "Text (tab delimited)" with tabs."""
    return max((",", ";", "\t"), key=header.count)  # a tie: the comma, listed first


def columns_named(header: list[str]) -> dict[str, int]:
    """Column name -> index, recognising English and Russian headings in any case."""
    found = {}
    for index, heading in enumerate(header):
        key = " ".join(heading.strip().strip("\ufeff").casefold().split())
        for column, aliases in COLUMN_ALIASES.items():
            if key in aliases and column not in found:
                found[column] = index
    if "surname" in found and "name" not in found:  # Фамилия and Отчество, with no Имя
        found["name"] = found.pop("surname")
    return found


def missing_columns(found: dict[str, int]) -> list[str]:
    return [column for column in REQUIRED_COLUMNS if column not in found]


def header_columns(header: list[str]) -> dict[str, int]:
    found = columns_named(header)
    missing = missing_columns(found)
    if missing:
        raise RosterError(
            _l("Line 1 must name the columns name, email and profession (language is optional). "
               "Missing: %(missing)s.", missing=", ".join(missing))
        )  # fmt: skip
    return found


def row_from(line: int, cells: list[str], columns: dict[str, int]) -> RosterRow:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    # With a surname column, the name is its parts in Russian order: Фамилия Имя Отчество;
    # a line break in a cell (Alt+Enter in Excel) is a space.
    name = " ".join(" ".join(cell(part) for part in NAME_PARTS).split())
    row = RosterRow(line=line, name=name, email=cell("email"), profession=None, locale=None)
    check_name(row)
    check_email(row)
    check_profession(row, cell("profession"))
    check_language(row, cell("language"))
    return row


def check_name(row: RosterRow) -> None:
    if not row.name:
        row.problems.append(_l("The name is empty."))
    elif len(row.name) > NAME_MAX:
        row.problems.append(_l("The name is longer than %(max)s characters.", max=NAME_MAX))
    elif has_control_characters(row.name):
        row.problems.append(_l("The name contains control characters; retype it."))


def check_email(row: RosterRow) -> None:
    if not row.email:
        row.problems.append(_l("The email is empty."))
        return
    try:
        checked = validate_email(row.email, check_deliverability=False)
    except EmailNotValidError:
        row.problems.append(_l("“%(email)s” is not a valid email address.", email=row.email))
        return
    row.email = normalize_email(checked.normalized)
    if len(row.email) > EMAIL_MAX:
        row.problems.append(_l("The email is longer than %(max)s characters.", max=EMAIL_MAX))
    elif problem := mixed_script_problem(row.email):
        row.problems.append(problem)


def check_profession(row: RosterRow, value: str) -> None:
    row.profession = PROFESSION_BY_ALIAS.get(value.casefold().replace("ё", "е"))
    if row.profession is None:
        row.problems.append(
            _l("Unknown profession “%(value)s”: use police, judge, prosecutor, social_worker, "
               "crisis_centre or other.", value=value)
        )  # fmt: skip


def check_language(row: RosterRow, value: str) -> None:
    if not value:
        return
    row.locale = LANGUAGE_ALIASES.get(value.casefold())
    if row.locale is None:
        row.problems.append(_l("Unknown language “%(value)s”: use ru or en.", value=value))


def mark_duplicates(rows: list[RosterRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.email:
            continue
        if row.email in first_line:
            row.problems.append(
                _l("The same email as on line %(line)s.", line=first_line[row.email])
            )
        else:
            first_line[row.email] = row.line


# Preview ---------------------------------------------------------------------------------


@dataclass
class EnrolmentPlan:
    """What confirming would do; computed from the database as it is now.

    By a trainer, an existing account is only invited: the membership stays pending, and
    grants nothing, until its owner accepts. By an admin (`direct`), it is enrolled at once.
    The plan tells a trainer nothing about an existing account: not its name, profession or
    role (a trainer's or admin's account gets an invitation that can never be accepted)."""

    cohort_id: int
    direct: bool = False
    create: list[RosterRow] = field(default_factory=list)  # no account yet
    enrol: list[tuple[RosterRow, User]] = field(default_factory=list)  # account, not a member
    present: list[tuple[RosterRow, User]] = field(default_factory=list)  # member or invited
    invalid: list[RosterRow] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.enrol)


def plan_enrolment(rows: list[RosterRow], cohort: Cohort, direct: bool = False) -> EnrolmentPlan:
    """Sort rows into new accounts, existing accounts to invite (or, `direct`, to enrol),
    members or invited already, and invalid rows."""
    plan = EnrolmentPlan(cohort_id=cohort.id, direct=direct)
    emails = [row.email for row in rows if row.valid]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    memberships = current_memberships(cohort.id)
    for row in rows:
        user = users.get(row.email) if row.valid else None
        if not row.valid:
            plan.invalid.append(row)
        elif user is None:
            plan.create.append(row)
        elif direct and user.role != Role.LEARNER:
            # Only an admin enrols directly, and an admin may know whose account this is.
            row.problems.append(_l("This email belongs to a trainer or administrator account."))
            plan.invalid.append(row)
        elif user.id in memberships and (memberships[user.id] or not direct):
            plan.present.append((row, user))
        else:
            plan.enrol.append((row, user))
    return plan


def current_memberships(cohort_id: int) -> dict[int, bool]:
    """User id -> accepted, for every membership of the cohort that is not removed."""
    rows = db.session.execute(
        select(CohortMember.user_id, CohortMember.accepted_at).where(
            CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None)
        )
    )
    return {user_id: accepted_at is not None for user_id, accepted_at in rows}


def current_member_ids(cohort_id: int) -> set[int]:
    """The cohort's accepted members that are not removed."""
    return {user_id for user_id, accepted in current_memberships(cohort_id).items() if accepted}


# Apply -----------------------------------------------------------------------------------


@dataclass
class EnrolmentResult:
    created: list[User]
    enrolled: list[User]  # existing accounts: invited, or enrolled when the plan is direct


def apply_enrolment(plan: EnrolmentPlan) -> EnrolmentResult:
    """Create the missing accounts and memberships; flushes, the caller commits.

    The accounts it creates are members at once (nobody else has any record of them); an
    existing account is invited unless the plan is direct. Idempotent: a second run over the
    same file plans no creations and no enrolments.
    """
    created = create_roster_accounts(plan.create)
    enrolled = [user for _row, user in plan.enrol]
    enrol_users(plan.cohort_id, [user.id for user in created])
    enrol_users(plan.cohort_id, [user.id for user in enrolled], accepted=plan.direct)
    return EnrolmentResult(created=created, enrolled=enrolled)


def create_roster_accounts(rows: list[RosterRow]) -> list[User]:
    # One bulk insert: hashing a password per row would take seconds for a large roster, and
    # nobody knows these passwords anyway. The owner activates the account with a personal
    # one-time link that the trainer hands out (trainer.accounts.issue_activation_tokens).
    if not rows:
        return []
    now = utcnow()
    db.session.execute(
        insert(User),
        [
            {
                "email": row.email,
                "name": row.name,
                "password_hash": unusable_password(),
                "role": Role.LEARNER,
                "profession": row.profession,
                "locale": row.locale,
                "search_key": fold_for_search(f"{row.name} {row.email}"),
                "created_at": now,
            }
            for row in rows
        ],
    )
    emails = [row.email for row in rows]
    return list(db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id)))


def unusable_password() -> str:
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)


def enrol_users(cohort_id: int, user_ids: list[int], accepted: bool = True) -> None:
    """Make the users current members, accepted or (not `accepted`) invited. A removed member
    comes back on the same row; an invitation never downgrades an accepted membership."""
    if not user_ids:
        return
    existing = {
        m.user_id: m
        for m in db.session.scalars(
            select(CohortMember).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id.in_(user_ids)
            )
        )
    }
    now = utcnow()
    accepted_at = now if accepted else None
    fresh = []
    for user_id in user_ids:
        member = existing.get(user_id)
        if member is None:
            fresh.append(
                {"cohort_id": cohort_id, "user_id": user_id, "joined_at": now,
                 "accepted_at": accepted_at}
            )  # fmt: skip
        elif member.removed_at is not None:
            member.removed_at = None
            member.joined_at = now
            member.accepted_at = accepted_at
        elif accepted and member.accepted_at is None:
            member.accepted_at = now
    if fresh:
        # The table, not the class: the ORM would drop accepted_at=None for its default.
        db.session.execute(insert(CohortMember.__table__), fresh)
    db.session.flush()


# Invitations -------------------------------------------------------------------------------


def accept_invitation(member: CohortMember) -> None:
    member.accepted_at = utcnow()
    db.session.flush()


def decline_invitation(member: CohortMember) -> None:
    member.removed_at = utcnow()
    db.session.flush()
