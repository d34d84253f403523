"""Error pages in the current language; never a stack trace."""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from trainer.extensions import db
from trainer.inputs import CONTROL_CHARACTER, UnstorableInput

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please check what you sent."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("There is no page at this address. Check the link.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    # The roster is the one file the site takes (its own form says 2 MB up to 12 MB).
    413: (
        _l("File too large"),
        _l(
            "The file you sent is larger than this site accepts. A list of learners may be at "
            "most 2 MB: save it as CSV rather than as an Excel workbook, or split it."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("Too many requests in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error occurred on our side. Nothing you entered was half-saved; please try again."),
    ),
}
CSRF_MESSAGE = (
    _l("The form has expired"),
    _l("The form was open too long or was sent from elsewhere. Reload the page and send it again."),
)
CSRF_TYPED_NOTE = _l(
    "Nothing was saved. What you wrote is below: copy it before you reload the page, then paste "
    "it into the form again."
)
CONTROL_MESSAGE = (
    _l("Characters that cannot be accepted"),
    _l(
        "What you sent contains control characters (such as a NUL byte) that text cannot hold. "
        "Remove them and send it again; nothing was saved."
    ),
)
CONTROL_TYPED_NOTE = _l(
    "What you wrote is below, with those characters removed: copy it, go back to the form and "
    "paste it in again."
)


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(UnstorableInput, handle_unstorable_input)
    app.register_error_handler(HTTPException, handle_http_error)


def render_error(code: int, title, message, typed_note=None):
    """The error page (JSON for a JSON client). With `typed_note`, a refused form's page also
    shows what the user wrote in it (typed_texts) under that note, to copy."""
    if request.accept_mimetypes.best == "application/json":
        return {"error": str(title), "message": str(message)}, code
    typed = typed_texts() if typed_note else ""
    page = render_template(
        "errors/error.html", code=code, title=title, message=message,
        typed=typed, typed_note=typed_note, back=back_to_form() if typed else None,
    )  # fmt: skip
    return page, code


def handle_csrf_error(error: CSRFError):
    return render_error(400, *CSRF_MESSAGE, typed_note=CSRF_TYPED_NOTE)


def handle_unstorable_input(error: UnstorableInput):
    return render_error(400, *CONTROL_MESSAGE, typed_note=CONTROL_TYPED_NOTE)


# Never shown back: tokens, the roster's packed file and the password fields (`password`,
# `confirm` and `current`, trainer/forms.py and trainer/account/forms.py).
UNSHOWN_FIELDS = ("csrf_token", "submission", "next", "payload", "step", "confirm", "current")
MAX_TYPED = 20_000


def typed_texts() -> str:
    """What the user wrote in a refused form (a session that ended while a trainer wrote an
    essay's comment or a mailing; a NUL byte pasted into an answer), to copy back: the prose of
    the form, not its choices or passwords, without control characters. Only for a form sent
    from this site: a page of another site must not put its words on ours."""
    if request.method != "POST" or not from_this_site():
        return ""
    shown = (
        CONTROL_CHARACTER.sub("", value)
        for name, value in request.form.items(multi=True)
        if name not in UNSHOWN_FIELDS and "password" not in name
    )
    texts = [text.strip() for text in shown if is_prose(text)]
    return "\n\n".join(texts)[:MAX_TYPED]


def is_prose(value: str) -> bool:
    """Written text rather than a choice's value (`police`, `12`): words with spaces."""
    return " " in value.strip() or "\n" in value.strip()


def back_to_form() -> str | None:
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def from_this_site() -> bool:
    here = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin:
        return origin.rstrip("/") == here
    return (request.referrer or "").startswith(here + "/")


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code == 500:
        # Unhandled exceptions arrive here wrapped; drop what the request had written.
        db.session.rollback()
    title, message = MESSAGES.get(code, (error.name, error.description))
    if code == 413 and request.accept_mimetypes.best != "application/json":
        # Past the app's limit the form never sees the file: the way back to it, at least.
        page = render_template(
            "errors/error.html", code=code, title=title, message=message, back=back_to_form()
        )
        return page, code
    return render_error(code, title, message)
