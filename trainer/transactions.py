"""Requests that lose a race are run again from the start.

Two requests of one learner at once are normal (two tabs, a double click, an autosave beside a
submit). Their writes are guarded by the database: a version number on shared rows (a stale
update matches no row), unique constraints (a second insert of the same row fails), and SQLite's
single writer (a transaction whose snapshot went stale cannot write). The loser rolls back and
its view runs again on fresh data, where it finds the row that won or the update it raced.
"""

import random
import time
from functools import wraps

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from trainer.extensions import db

ATTEMPTS = 8
PAUSE_SECONDS = 0.01  # doubled before each new try, with jitter so that losers spread out

# PostgreSQL SQLSTATEs: unique_violation, serialization_failure, deadlock_detected.
PG_CONFLICTS = {"23505", "40001", "40P01"}


def is_conflict(error: Exception) -> bool:
    """Whether the error says another transaction won a race, so that a new try may pass."""
    if isinstance(error, StaleDataError):
        return True
    if not isinstance(error, IntegrityError | OperationalError):
        return False
    code = getattr(error.orig, "sqlstate", None)
    if code is not None:
        return code in PG_CONFLICTS
    message = str(error.orig)
    return message.startswith("UNIQUE constraint failed") or "database is locked" in message


def retrying(view):
    """Run `view` again, on a clean session, when it lost a race."""

    @wraps(view)
    def run(*args, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return view(*args, **kwargs)
            except (StaleDataError, IntegrityError, OperationalError) as error:
                db.session.rollback()
                if attempt == ATTEMPTS or not is_conflict(error):
                    raise
                time.sleep(PAUSE_SECONDS * 2 ** min(attempt, 5) * random.random())  # noqa: S311
        raise AssertionError("unreachable")

    return run


def retry_every_view(app: Flask) -> None:
    """Every view is guarded, so no write path can forget to be."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = retrying(view)
