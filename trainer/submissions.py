"""A form that creates something, submitted twice, creates it once.

A double click, a POST the browser or a proxy sends again on a slow network, ten at once: each
carries the same one-use token, drawn when the form was rendered (the hidden field `submission`
of a form with `OneSubmission`). The row the first submission creates stores it in a unique
column, `submission_token`. A repeat finds that row and answers as the first did (the same
redirect, the same message). Two at once: both find nothing, both insert, the unique index
refuses the second; trainer.transactions rolls it back and runs its view again, which finds
the row the first committed. (A guest joining a class session has no row of their own to
store it in: their seat's token is drawn from it instead, trainer.classroom.views.guest_token_for.)

A submission without a well-formed token (a page opened before tokens existed, a hand-made
request) is taken as a fresh one under a token drawn here: refusing it would throw away what
the trainer typed, for nothing the CSRF token does not already guard. Such a page is only as
safe against double clicks as every page was before.
"""

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from wtforms import HiddenField

from trainer.extensions import db

TOKEN_MAX = 64  # the column's length
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe draws, of any size
# The form's page is fetched again, not shown from the browser's cache, when the trainer goes
# back to it: a page shown again would carry the used token, and its next submission, meant
# as a new one, would find the row already made.
NO_STORE = {"Cache-Control": "no-store"}

Row = TypeVar("Row")


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 22 characters, 128 random bits


class OneSubmission:
    """Mixed into a form that creates a row: its one-use token, drawn per rendered form."""

    submission = HiddenField(default=new_token)


def token_of(form: OneSubmission) -> str:
    """The submitted token; a missing or malformed one gives a fresh token."""
    value = form.submission.data or ""
    return value if TOKEN.fullmatch(value) else new_token()


def made_once(
    model: type[Row],
    token: str | None,
    mine: Callable[[Row], bool],
    make: Callable[[str | None], Row],
) -> Row:
    """The row `model` that the submission `token` made, or a new one, `make(token)`, which
    stores the token in its `submission_token` and flushes.

    A row that has the token but is not `mine` (another person's, another cohort's) was not
    made by this form: the submission stands on its own, under a new token. `token` None
    (a creation that is no form's submission) always makes a new row."""
    if token is None:
        return make(None)
    token, found = earlier_submission(model, token, mine)
    return found if found is not None else make(token)


def earlier_submission(
    model: type[Row], token: str, mine: Callable[[Row], bool]
) -> tuple[str, Row | None]:
    """The token this submission goes under, and the row `model` it made before if this is a
    repeat: (token, row). A row that has the token but is not `mine` was not made by this form:
    the submission stands on its own, under a new token, and learns nothing of that row."""
    found = db.session.scalar(select(model).where(model.submission_token == token))
    if found is None:
        return token, None
    return (token, found) if mine(found) else (new_token(), None)
