"""A scenario choice's event and progress bump are written as two plain statements
(progress.record_at_once), not by the ORM's flush: what they store must be what the ORM stores,
on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import sync_example
from trainer.extensions import db
from trainer.learning import progress as tracking
from trainer.learning.scenario_runs import ProgressRow
from trainer.models import LearningEvent, Module, Progress, User, Verb

RESULT = {"run": 1, "scores": {"safety": 2}, "choice": "отдельно"}


def test_an_event_written_at_once_is_stored_as_the_orm_stores_it(app, learner):
    sync_example(app)
    with app.app_context():
        progress = tracking.start(
            db.session.get(User, learner.id), db.session.scalar(select(Module))
        )
        db.session.commit()
        object_id = "example-module/scenario/call/decide"
        tracking.record(progress, Verb.CHOSE, object_id, RESULT)  # the ORM's flush
        db.session.commit()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        before = progress.row_version
        tracking.record_at_once(progress, Verb.CHOSE, object_id, RESULT)
        db.session.commit()
        assert len(statements) == 2  # the listeners still see both (query counts)
        table = LearningEvent.__table__
        chose = select(table).where(table.c.verb == Verb.CHOSE).order_by(table.c.id)
        orm_row, at_once_row = db.session.execute(chose).all()
        columns = [c.key for c in table.columns if c.key not in ("id", "created_at")]
        assert [getattr(at_once_row, c) for c in columns] == [getattr(orm_row, c) for c in columns]
        assert at_once_row.verb is Verb.CHOSE and at_once_row.result == RESULT
        assert at_once_row.created_at.tzinfo is not None
        assert at_once_row.created_at >= orm_row.created_at
        stored = db.session.scalar(select(Progress).execution_options(populate_existing=True))
        assert stored.row_version == progress.row_version == before + 1
        assert stored.updated_at == at_once_row.created_at


def test_a_stale_progress_is_refused_and_nothing_is_kept(app, learner):
    """Another request moved the progress on since it was read: the bump matches no row, and
    after the rollback (trainer/transactions.py runs the request again) no event is left."""
    sync_example(app)
    with app.app_context():
        progress = tracking.start(
            db.session.get(User, learner.id), db.session.scalar(select(Module))
        )
        db.session.commit()
        read = ProgressRow(
            progress.id, progress.user_id, progress.module_version_id, progress.row_version, "x"
        )
        db.session.execute(update(Progress).values(row_version=Progress.row_version + 1))
        db.session.commit()
        with pytest.raises(StaleDataError):
            tracking.record_at_once(read, Verb.CHOSE, "example-module/scenario/call/x", RESULT)
        db.session.rollback()
        chose = select(func.count()).where(LearningEvent.verb == Verb.CHOSE)
        assert db.session.scalar(chose) == 0
