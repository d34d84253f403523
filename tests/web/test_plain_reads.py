"""The pages' reads sent to the driver directly (trainer/plain_reads.py) must give what
SQLAlchemy's own execution gives, on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import bindparam, event, func, literal, select

from tests.conftest import sign_in, sql_statements, sync_example
from trainer import plain_reads
from trainer.extensions import db
from trainer.learn.views import CATALOGUE, MODULE_PAGE, MODULE_ROW
from trainer.learning import progress as tracking
from trainer.models import Module, Progress, Status, User

PROGRESS = Progress.__table__
# Every kind of column a page reads: an Enum, JSON, an aware datetime, a literal bound in the
# statement itself, a parameter used twice and a function of columns.
MIXED = select(
    PROGRESS.c.status,
    PROGRESS.c.state,
    PROGRESS.c.updated_at,
    literal("fixed").label("fixed"),
    func.coalesce(PROGRESS.c.module_version_id, bindparam("user_id")).label("version"),
).where(PROGRESS.c.user_id == bindparam("user_id"), PROGRESS.c.percent >= 0)


@pytest.fixture
def started(app, learner):
    """The learner, with progress in the example module and a lesson done."""
    sync_example(app)
    with app.app_context():
        module = db.session.scalar(select(Module))
        progress = tracking.start(db.session.get(User, learner.id), module)
        progress.state = {"lessons": ["intro"], "viewed": ["intro"]}
        db.session.commit()
        return {"user_id": learner.id, "slug": module.slug}


@pytest.mark.parametrize("statement", [MIXED, MODULE_ROW, MODULE_PAGE, CATALOGUE])
def test_plain_rows_are_the_rows_sqlalchemy_returns(app, started, statement):
    with app.app_context():
        connection = db.session.connection()
        expected = connection.execute(statement, started).all()
        got = plain_reads.rows(connection, statement, started)
    assert expected  # the comparison is of real rows
    assert [row._asdict() for row in got] == [row._asdict() for row in expected]
    assert [list(map(type, row)) for row in got] == [list(map(type, row)) for row in expected]


def test_plain_rows_convert_each_column_by_its_type(app, started):
    with app.app_context():
        [row] = plain_reads.rows(db.session.connection(), MIXED, started)
    assert row.status is Status.IN_PROGRESS
    assert row.state["lessons"] == ["intro"]
    assert row.updated_at.tzinfo is not None
    assert row.fixed == "fixed"
    status, *_ = row  # rows unpack like SQLAlchemy's
    assert status is row.status


def test_plain_reads_are_seen_by_statement_listeners(app, started):
    """Query counts per page (tests/web/test_speed.py) must still count them."""
    with sql_statements(app) as sent, app.app_context():
        plain_reads.rows(db.session.connection(), CATALOGUE, started)
    assert len(sent) == 1 and "FROM modules" in sent[0]


def test_a_statement_with_an_in_list_is_refused(app):
    listed = select(PROGRESS.c.id).where(PROGRESS.c.user_id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError, match="expanding"):
        plain_reads.rows(db.session.connection(), listed, {"ids": [1, 2]})


def test_a_read_only_page_takes_no_connection_from_the_pool_on_sqlite(app, client, learner):
    """On SQLite the reads before any write go to a connection kept per thread: a page that
    only reads checks nothing out; on PostgreSQL the session's connection is used."""
    sync_example(app)
    sign_in(client, learner)
    client.get("/learn/")
    with app.app_context():
        engine = db.engine
    checkouts = []

    def count(*args):
        checkouts.append(args)

    event.listen(engine, "checkout", count)
    try:
        assert client.get("/learn/").status_code == 200
    finally:
        event.remove(engine, "checkout", count)
    assert len(checkouts) == (0 if engine.dialect.name == "sqlite" else 1)


def test_the_kept_connection_sees_what_other_requests_commit(app, client, learner):
    """A learner's progress changed by another request shows on the next page at once: the
    kept connection holds no snapshot between requests."""
    sync_example(app)
    sign_in(client, learner)
    assert "<progress" not in client.get("/learn/").get_data(as_text=True)  # not started
    with app.app_context():
        module = db.session.scalar(select(Module))
        progress = tracking.start(db.session.get(User, learner.id), module)
        progress.percent = 40
        db.session.commit()
    assert '<progress max="100" value="40"' in client.get("/learn/").get_data(as_text=True)


def test_a_form_is_read_and_written_on_one_connection(app, client, started, learner):
    """A POST's reads (the signed-in user's first) go to the session's connection, which its
    writes use next: one connection per request, one page cache to keep valid."""
    sign_in(client, learner)
    with app.app_context():
        engine = db.engine
    connections = []

    def note(connection, *args):
        connections.append(connection.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.post(f"/learn/{started['slug']}/restart")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 302
    assert len(connections) > 2 and len(set(map(id, connections))) == 1
