"""The reads every page makes, and the writes of the most frequent forms (a scenario choice, a
quiz answer's autosave), sent to the driver's cursor with the statement's compiled text.

SQLAlchemy's execution of a statement (execution context, cursor result, Row objects) costs more
than the statement itself: on SQLite ~24 us against ~9 for the lesson page's row, ~21 against
~10 for the catalogue's rows. The signed-in user and the learner pages' reads run here instead,
and so do the reads and writes of a scenario choice and a quiz answer's save (five statements
each). Each statement is compiled once per dialect; its parameters go in the compiled order with
their types' bind conversions, each column comes out through its type's result conversion (text
to datetime on SQLite, JSON text to a dict, text to an Enum), and the statement events are sent,
so listeners (query counts, timings) still see every statement. Driver errors are raised as
SQLAlchemy's execution raises them. Statements with expanding parameters (IN lists) are refused.
"""

import threading
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Connection, Executable, Select, bindparam, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Prepared:
    text: str
    names: tuple[str, ...] | None  # the parameters in order, for a positional driver
    compiled: Any  # for construct_params: the statement's own values (literals) with the call's
    bind_conversions: dict[str, Any]
    result_conversions: tuple[tuple[int, Any], ...]  # (column index, conversion)
    row: type  # a named tuple of the selected columns' keys


# Per thread, the connection that pages' first reads go to (reading_connection).
_kept = threading.local()


def reading_connection(session: Session) -> Connection:
    """Where a request's reads made before it writes anything go. For a page (GET), a
    connection kept per thread outside the ORM session, each read its own transaction: Python's
    sqlite3 runs a SELECT outside any transaction anyway (it begins one at the first write), and
    on PostgreSQL the connection is in autocommit. The session's connection, checked out from
    the pool and returned for each request, was 30 of a signed-in page's 200 us on SQLite; on
    PostgreSQL it cost three round trips besides the page's reads (the pool's ping, BEGIN and
    the ROLLBACK on return: a module page sent five statements for its two reads). It does not
    see the session's uncommitted changes: reads after a write go through the session. A form
    (POST), whose writes follow its reads, uses the session's own connection: with a scenario
    choice's first read on the kept connection and its writes on the session's, it took 800 us
    in process instead of 700 on SQLite (two page caches, each reloaded after the other's
    commit). So does code outside a request (CLI, tests). A thread that ends (the development
    server runs one per request) leaves its connection to the pool."""
    page = has_request_context() and request.method in ("GET", "HEAD")
    if not page:
        return session.connection()
    return kept_connection(session.get_bind())


def kept_connection(engine) -> Connection:
    """This thread's kept connection to `engine`, opened anew if it has none or it broke."""
    kept = getattr(_kept, "connection", None)
    if kept is None or kept.engine is not engine or kept.invalidated:
        if kept is not None:
            kept.close()  # another app's (tests), or a connection found broken
        kept = _kept.connection = engine.connect()
        if engine.dialect.name != "sqlite":  # each read its own transaction, as on SQLite
            kept.execution_options(isolation_level="AUTOCOMMIT")  # changes `kept` itself
    return kept


def insert_values(table, *names: str):
    """An INSERT of `names`, each a parameter of its own name: what written() needs, as it
    applies no column defaults."""
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


_prepared: dict[tuple[int, str], tuple[Executable, Prepared]] = {}


def prepare(statement: Executable, connection: Connection) -> Prepared:
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    known = _prepared.get(key)
    if known is not None and known[0] is statement:
        return known[1]
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("plain_statements: a statement with expanding parameters (IN lists)")
    binds = {
        compiled.escaped_bind_names.get(name, name): bind.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        for bind, name in compiled.bind_names.items()
    }
    selected = statement.selected_columns if isinstance(statement, Select) else None
    columns = list(selected) if selected is not None else []
    conversions = (
        (index, column.type.dialect_impl(dialect).result_processor(dialect, None))
        for index, column in enumerate(columns)
    )
    prepared = Prepared(
        text=compiled.string,
        names=tuple(compiled.positiontup) if compiled.positiontup else None,
        compiled=compiled,
        bind_conversions={name: convert for name, convert in binds.items() if convert},
        result_conversions=tuple((i, convert) for i, convert in conversions if convert),
        row=namedtuple("Row", selected.keys() if selected is not None else ()),
    )
    _prepared[key] = (statement, prepared)  # statements are module constants: a few entries
    return prepared


def rows(connection: Connection, statement: Select, parameters: dict) -> list:
    """The statement's rows, as named tuples (attributes by column key, or unpacked)."""
    prepared = prepare(statement, connection)
    arguments = driver_arguments(prepared, parameters)
    try:
        fetched = run(connection, prepared.text, arguments, fetch=True)
    except DBAPIError as error:
        if not (error.connection_invalidated and connection is getattr(_kept, "connection", None)):
            raise
        # The kept connection was lost (the server restarted): nothing pinged it before this
        # request, as the pool does at a checkout, so the read is made once more on a new one.
        connection = kept_connection(connection.engine)
        fetched = run(connection, prepared.text, arguments, fetch=True)
    make, conversions = prepared.row._make, prepared.result_conversions
    if not conversions:
        return [make(row) for row in fetched]
    converted = []
    for row in fetched:
        row = list(row)
        for index, convert in conversions:
            row[index] = convert(row[index])
        converted.append(make(row))
    return converted


def written(connection: Connection, statement: Executable, parameters: dict) -> int:
    """An INSERT, UPDATE or DELETE built once, every value given (no column defaults are
    applied): the number of rows it matched."""
    prepared = prepare(statement, connection)
    return run(connection, prepared.text, driver_arguments(prepared, parameters), fetch=False)


def driver_arguments(prepared: Prepared, parameters: dict):
    values = prepared.compiled.construct_params(parameters)
    for name, convert in prepared.bind_conversions.items():
        values[name] = convert(values[name])
    return tuple(values[n] for n in prepared.names) if prepared.names else values


def run(connection: Connection, text: str, arguments, fetch: bool):
    """The driver's rows of `text` (or the count of rows it changed), the statement events
    sent around it."""
    events = connection.dispatch
    dialect = connection.dialect
    cursor = None
    try:
        cursor = connection.connection.dbapi_connection.cursor()
        events.before_cursor_execute(connection, cursor, text, arguments, None, False)
        cursor.execute(text, arguments)
        outcome = cursor.fetchall() if fetch else cursor.rowcount
        events.after_cursor_execute(connection, cursor, text, arguments, None, False)
    except dialect.loaded_dbapi.Error as error:
        raise as_sqlalchemy_error(connection, cursor, text, arguments, error) from error
    finally:
        if cursor is not None:
            cursor.close()
    return outcome


def as_sqlalchemy_error(connection, cursor, statement: str, parameters, error) -> DBAPIError:
    """The driver's error as SQLAlchemy's own execution raises it: a lost connection is
    invalidated (the pool opens a new one), and the class is SQLAlchemy's, which the rest of the
    app handles (trainer/transactions.py runs a request again after "database is locked")."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        statement,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
