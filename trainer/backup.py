"""Backup and restore of the whole database (`flask backup PATH`, `flask restore PATH`).

SQLite is copied page by page with its online backup API, so the app may keep serving while a
backup runs. PostgreSQL is dumped with `pg_dump --format=custom` and loaded with
`pg_restore --clean --if-exists` in one transaction; the connection goes to them through
libpq's environment variables (PGHOST, PGPASSWORD ...), never on their command line."""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
# Drop what the dump holds first, load all or nothing, and leave ownership to the target's user.
RESTORE_OPTIONS = ["--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                   "--no-owner", "--no-privileges"]  # fmt: skip
IGNORED_TABLES = {"alembic_version"}  # a migrated, empty database still has its revision


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


@dataclass
class Summary:
    tables: int
    rows: int


def backup(database_url: str, path: Path) -> Summary:
    """Write a backup of the database at `database_url` to `path` (replaced if it exists)."""
    url = make_url(database_url)
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    try:
        if is_sqlite(url):
            sqlite_copy(sqlite_file(url, must_exist=True), partial)
        else:
            run_pg("pg_dump", ["--format=custom", "--file", str(partial)], url)
        partial.chmod(0o600)  # everyone's records: readable by the owner only
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return summary(database_url)


def restore(database_url: str, path: Path, force: bool = False) -> Summary:
    """Replace the database at `database_url` with the backup at `path`. A database that holds
    any row is only overwritten with `force`."""
    url = make_url(database_url)
    check_backup_kind(Path(path), url)
    held = summary(database_url)
    if held.rows and not force:
        raise BackupError(
            f"{safe(url)} is not empty ({held.rows} rows in {held.tables} tables); "
            "restoring replaces all of it: add --force to overwrite it"
        )
    if is_sqlite(url):
        sqlite_copy(Path(path), sqlite_file(url, must_exist=False))
    else:
        run_pg("pg_restore", [*RESTORE_OPTIONS, "--dbname", url.database or "", str(path)], url)
    return summary(database_url)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def sqlite_file(url: URL, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(f"{safe(url)} is not a database file")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"the database file {path} does not exist")
    return path


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database over another with the online backup API."""
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"cannot copy {source} to {target}: {error}") from None
    finally:
        dst.close()
        src.close()


def check_backup_kind(path: Path, url: URL) -> None:
    """A clear message for a missing file or one made for the other kind of database."""
    if not path.is_file():
        raise BackupError(f"the backup file {path} does not exist")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if is_sqlite(url) and not head.startswith(SQLITE_MAGIC):
        kind = "a PostgreSQL dump" if head.startswith(PG_MAGIC) else "not a SQLite database"
        raise BackupError(f"{path} is {kind}; the database here is SQLite")
    if not is_sqlite(url) and not head.startswith(PG_MAGIC):
        kind = "a SQLite database" if head.startswith(SQLITE_MAGIC) else "not a pg_dump file"
        raise BackupError(
            f"{path} is {kind}; PostgreSQL restores what `flask backup` (pg_dump) wrote"
        )


def pg_program(name: str) -> str:
    """The newest installed PostgreSQL client (Debian keeps them in /usr/lib/postgresql/N/bin,
    often off PATH); a newer pg_dump reads older servers, never the other way round."""
    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version_key, reverse=True)
    for folder in folders:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def version_key(folder: Path) -> tuple:
    version = folder.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def pg_environment(url: URL) -> dict:
    """libpq's variables for the URL: the password stays out of the process list."""
    env = {**os.environ}
    values = {
        "PGHOST": url.host,
        "PGPORT": url.port and str(url.port),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def run_pg(name: str, options: list[str], url: URL) -> None:
    if not url.database:
        raise BackupError(f"{safe(url)} names no database")
    done = subprocess.run(  # noqa: S603  (a fixed program; the options are ours)
        [pg_program(name), *options],
        env=pg_environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{name} failed: {done.stderr.strip()}")


def table_counts(database_url: str) -> dict[str, int]:
    """Rows in each table of the database (its migration revision left out)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            names = sorted(set(inspect(connection).get_table_names()) - IGNORED_TABLES)
            return {
                name: connection.scalar(select(func.count()).select_from(table(name)))
                for name in names
            }
    finally:
        engine.dispose()


def summary(database_url: str) -> Summary:
    counts = table_counts(database_url)
    return Summary(tables=len(counts), rows=sum(counts.values()))
