"""The pages' reads sent to the driver directly (trainer/plain_statements.py) must give what
SQLAlchemy's own execution gives, on SQLite and on PostgreSQL."""

import gc
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, event, func, literal, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import sign_in, sql_statements, sync_example
from trainer import plain_statements
from trainer.cohorts.my_training import LEARNERS_TRAINING
from trainer.extensions import db
from trainer.learn.views import CATALOGUE, MODULE_PAGE, MODULE_ROW
from trainer.learning import progress as tracking
from trainer.learning.cohort_queries import LEARNER_ASSIGNMENTS
from trainer.learning.progress import INSERT_EVENT, TOUCH_PROGRESS
from trainer.models import (
    Assignment,
    Cohort,
    CohortMember,
    LearningEvent,
    Module,
    Progress,
    Status,
    User,
    Verb,
)
from trainer.models.types import utcnow

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


@pytest.fixture
def assigned(app, started):
    """The started learner, in a cohort that assigns the module with a due date."""
    with app.app_context():
        cohort = Cohort(name="Тверь, весна", region="Тверская область")
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=started["user_id"]))
        module_id = db.session.scalar(select(Module.id))
        db.session.add(Assignment(cohort_id=cohort.id, module_id=module_id, due_on=DUE_ON))
        db.session.commit()
    return started


DUE_ON = date(2026, 12, 24)


@pytest.mark.parametrize(
    "statement",
    [MIXED, MODULE_ROW, MODULE_PAGE, CATALOGUE, LEARNERS_TRAINING, LEARNER_ASSIGNMENTS],
)
def test_plain_rows_are_the_rows_sqlalchemy_returns(app, assigned, statement):
    with app.app_context():
        connection = db.session.connection()
        expected = connection.execute(statement, assigned).all()
        got = plain_statements.rows(connection, statement, assigned)
    assert expected  # the comparison is of real rows
    assert [row._asdict() for row in got] == [row._asdict() for row in expected]
    assert [list(map(type, row)) for row in got] == [list(map(type, row)) for row in expected]


def test_plain_rows_convert_each_column_by_its_type(app, started):
    with app.app_context():
        [row] = plain_statements.rows(db.session.connection(), MIXED, started)
    assert row.status is Status.IN_PROGRESS
    assert row.state["lessons"] == ["intro"]
    assert row.updated_at.tzinfo is not None
    assert row.fixed == "fixed"
    status, *_ = row  # rows unpack like SQLAlchemy's
    assert status is row.status


def test_plain_statements_are_seen_by_statement_listeners(app, started):
    """Query counts per page (tests/web/test_speed.py) must still count them."""
    with sql_statements(app) as sent, app.app_context():
        plain_statements.rows(db.session.connection(), CATALOGUE, started)
    assert len(sent) == 1 and "FROM modules" in sent[0]


def test_a_statement_with_an_in_list_is_refused(app):
    listed = select(PROGRESS.c.id).where(PROGRESS.c.user_id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError, match="expanding"):
        plain_statements.rows(db.session.connection(), listed, {"ids": [1, 2]})


@pytest.mark.parametrize("url", ["/learn/", "/learn/my", "/learn/example-module/"])
def test_a_read_only_page_takes_no_connection_from_the_pool(app, client, learner, assigned, url):
    """A page's reads before any write go to a connection kept per thread: a page that only
    reads checks nothing out (on PostgreSQL each checkout pinged the server, and the session's
    transaction cost a BEGIN and a ROLLBACK besides)."""
    sign_in(client, learner)
    client.get(url)
    with app.app_context():
        engine = db.engine
    checkouts = []

    def count(*args):
        checkouts.append(args)

    event.listen(engine, "checkout", count)
    try:
        page = client.get(url, headers={"Accept-Language": "en"})
    finally:
        event.remove(engine, "checkout", count)
    assert checkouts == []
    assert page.status_code == 200
    if url == "/learn/my":  # the assignment's due date, read as a date
        assert "December 24, 2026" in page.text


def test_a_page_is_served_after_the_database_server_dropped_the_kept_connection(
    app, client, learner
):
    """Nothing pings the kept connection before a request (the pool pings at a checkout): a
    connection the server has closed (a restart) is replaced, and the page is read on the new
    one instead of failing."""
    sync_example(app)
    sign_in(client, learner)
    assert client.get("/learn/").status_code == 200
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no server to drop a connection")
        dropped = db.session.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        db.session.commit()
    assert dropped >= 1
    page = client.get("/learn/")
    assert page.status_code == 200
    assert "example" in page.get_data(as_text=True).lower()


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


# Writes ------------------------------------------------------------------------------------


def test_a_plain_insert_stores_what_the_orm_reads_back(app, started):
    """An Enum, JSON and an aware datetime go in through their types' conversions."""
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    event = {"user_id": started["user_id"], "verb": Verb.CHOSE, "object_id": "example/x"}
    with app.app_context():
        version_id = db.session.scalar(select(Progress.module_version_id))
        event |= {"module_version_id": version_id, "result": {"run": 1, "choice": "a"}}
        connection = db.session.connection()
        assert plain_statements.written(connection, INSERT_EVENT, {**event, "created_at": at}) == 1
        db.session.commit()
        stored = db.session.scalar(
            select(LearningEvent).where(LearningEvent.object_id == "example/x")
        )
    assert stored.verb is Verb.CHOSE
    assert stored.result == {"run": 1, "choice": "a"}
    assert stored.created_at == at


def test_a_plain_update_counts_the_rows_its_guard_matched(app, started):
    """The progress's version guard: the version read matches once, a stale one never."""
    now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with app.app_context():
        progress = db.session.scalar(select(Progress))
        read, guard = progress.row_version, {"progress_id": progress.id, "now": now}
        connection = db.session.connection()
        assert plain_statements.written(connection, TOUCH_PROGRESS, {**guard, "read": read}) == 1
        assert plain_statements.written(connection, TOUCH_PROGRESS, {**guard, "read": read}) == 0
        db.session.commit()
        db.session.expire_all()
        progress = db.session.get(Progress, progress.id)
        assert (progress.row_version, progress.updated_at) == (read + 1, now)


def test_a_plain_write_that_breaks_a_constraint_raises_sqlalchemys_error(app, started):
    """trainer/transactions.py runs a request again on SQLAlchemy's IntegrityError: a plain
    write must raise the same class, not the driver's."""
    orphan = {"user_id": started["user_id"], "verb": Verb.CHOSE, "object_id": "example/y"}
    orphan |= {"module_version_id": 10**9, "result": None, "created_at": utcnow()}  # no version
    with app.app_context(), pytest.raises(IntegrityError):
        plain_statements.written(db.session.connection(), INSERT_EVENT, orphan)


def test_plain_writes_are_seen_by_statement_listeners(app, started):
    with sql_statements(app) as sent, app.app_context():
        progress = db.session.scalar(select(Progress))
        guard = {"progress_id": progress.id, "read": progress.row_version, "now": utcnow()}
        sent.clear()
        plain_statements.written(db.session.connection(), TOUCH_PROGRESS, guard)
    assert len(sent) == 1 and sent[0].startswith("UPDATE progress")


def test_a_kept_connection_left_by_an_ended_thread_goes_back_to_the_pool_transactional(
    app, started
):
    """The development server runs a request per thread: a thread's kept connection (in
    autocommit on PostgreSQL) goes back to the pool when the thread ends, and the sessions that
    check it out again get a transaction, not autocommit."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's kept connection changes no setting")

    def page_read():
        with app.test_request_context("/learn/"):
            kept = plain_statements.reading_connection(db.session)
            assert kept.connection.dbapi_connection.autocommit
            plain_statements.rows(kept, CATALOGUE, started)

    for _ in range(3):
        thread = threading.Thread(target=page_read)
        thread.start()
        thread.join()
    gc.collect()
    with app.app_context():
        connections = [engine.connect() for _ in range(engine.pool.checkedin() + 1)]
        try:
            assert not any(c.connection.dbapi_connection.autocommit for c in connections)
        finally:
            for connection in connections:
                connection.close()
