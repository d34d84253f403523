"""What the edge accepts: numbers the database can hold, text without control characters.

Python is generous where databases are not: `str.isdigit` accepts "²" and "①" that `int`
refuses, `int` makes numbers past what an id column holds, and a NUL byte is a fine `str` that
PostgreSQL will not store. These checks turn such input into a clear 4xx before it reaches the
domain.
"""

import re

from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, ValidationError

# Every id and counter column is an INTEGER: 32 bits on PostgreSQL, which answers a larger
# number compared with one with an error ("integer out of range"), not with no row.
DB_INT_MAX = 2**31 - 1
PAGE_MAX = 1_000_000
ASCII_NUMBER = re.compile(r"[0-9]{1,19}")
# Text may hold tabs and line breaks; no other control character (NUL among them). Unicode's
# control characters (category Cc) are exactly U+0000-U+001F and U+007F-U+009F.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class UnstorableInput(BadRequest):
    """Text with control characters, refused before the view runs: nothing is stored. Its page
    (trainer/errors.py) gives the user back what they wrote, without those characters."""


def ascii_int(text: str | None, maximum: int = DB_INT_MAX) -> int | None:
    """The number written in ASCII digits, if it is at most `maximum`; else None."""
    if text is None or not ASCII_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def db_int(text: str) -> int:
    """For `request.args.get(..., type=db_int)`: refuses what an INTEGER column cannot hold."""
    value = ascii_int(text)
    if value is None:
        raise ValueError(text)
    return value


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


class DatabaseIntConverter(IntegerConverter):
    """`<int:id>` that matches only ids an INTEGER column can hold: larger ones are a 404.
    ASCII digits only: Werkzeug's `\\d+` also matched "٣" or "３", which `int` reads as 3, so
    /admin/users/٣ was user 3's page under another address (and its form changed user 3)."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Not found, whatever the method. Left to Werkzeug (a rule that does not match), a POST
        # to /…/attempts/2147483648 was a 405: the same path's GET rule matched before its number
        # was read.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def refuse_unstorable_input():
    req = request._get_current_object()  # one look-up: this runs on every request
    texts = [req.path]
    # Only what the request has: parsing an empty query or a body-less form still costs.
    query = bool(req.query_string)
    fields = [req.args] if query else []
    if req.want_form_data_parsed:
        fields.append(req.form)
    for found in fields:
        for name, values in found.lists():
            texts += [name, *values]
    if any(has_control_characters(text) for text in texts):
        raise UnstorableInput()
    # "in" first: MultiDict.get of a missing key raises and catches an HTTP exception inside.
    if query and "page" in req.args and ascii_int(req.args["page"], PAGE_MAX) is None:
        abort(404)
    return None


def percent_encode_non_ascii(query: str) -> str:
    """The query string (the WSGI server's bytes, one latin-1 character each) with every
    non-ASCII byte percent-encoded. Werkzeug decodes the raw bytes as strict UTF-8 (request.args,
    request.full_path), so a client sending `?\xff=1` unencoded crashed every page; encoded,
    UTF-8 text reads as before and invalid bytes stay as `%FF`, as Werkzeug keeps them anyway."""
    if query.isascii():
        return query
    return "".join(ch if ch.isascii() else f"%{ord(ch):02X}" for ch in query)


class QueryStringRepair:
    """WSGI middleware applying `percent_encode_non_ascii` before anything reads the query."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        environ["QUERY_STRING"] = percent_encode_non_ascii(query)
        return self.wsgi_app(environ, start_response)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIntConverter
    app.wsgi_app = QueryStringRepair(app.wsgi_app)
    app.before_request(refuse_unstorable_input)
