"""The app's SQLite writers take turns (trainer/sqlite_writers.py): a second writer waits for
the first one's commit and starts right after it, in another thread or another process."""

import multiprocessing
import sqlite3
import threading
import time

import pytest

from trainer.sqlite_writers import QueuedWriterConnection


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "queue.db")
    with connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, text TEXT UNIQUE)")
    return path


def connect(path: str, timeout: float = 15) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=timeout, factory=QueuedWriterConnection,
                           check_same_thread=False)  # fmt: skip


def insert_later(path: str, text: str, done: dict) -> threading.Thread:
    """A writer in another thread; `done` gets the time its insert returned."""

    def write():
        with connect(path) as connection:
            connection.execute("INSERT INTO answers (text) VALUES (?)", (text,))
            done[text] = time.monotonic()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_a_second_writer_waits_for_the_commit_and_starts_right_after(database):
    first = connect(database)
    first.execute("INSERT INTO answers (text) VALUES ('first')")  # holds the turn, uncommitted
    done: dict = {}
    second = insert_later(database, "second", done)
    time.sleep(0.3)
    assert "second" not in done  # waiting for its turn (not failing: it is not an error)
    committed = time.monotonic()
    first.commit()
    second.join(5)
    # Woken by the commit, not by SQLite's polling (which sleeps up to 100 ms between tries).
    assert 0 <= done["second"] - committed < 0.05
    rows = [text for (text,) in first.execute("SELECT text FROM answers ORDER BY id")]
    assert rows == ["first", "second"]


def test_readers_do_not_wait_for_a_writer(database):
    writer = connect(database)
    writer.execute("INSERT INTO answers (text) VALUES ('pending')")
    reader = connect(database)
    started = time.monotonic()
    assert reader.execute("SELECT count(*) FROM answers").fetchone() == (0,)
    assert time.monotonic() - started < 0.05
    writer.rollback()


@pytest.mark.parametrize("end", ["rollback", "close", "failed statement"])
def test_the_turn_is_given_up_however_the_transaction_ends(database, end):
    first = connect(database)
    first.execute("INSERT INTO answers (text) VALUES ('taken')")
    first.commit()
    if end == "failed statement":  # a unique violation, outside any transaction
        with pytest.raises(sqlite3.IntegrityError):
            first.execute("INSERT INTO answers (text) VALUES ('taken')")
        first.rollback()
    else:
        first.execute("INSERT INTO answers (text) VALUES ('other')")
        getattr(first, end)()
    done: dict = {}
    insert_later(database, "next", done).join(2)
    assert "next" in done


def test_two_connections_of_one_thread_do_not_deadlock_on_the_queue(database):
    """The second gets SQLite's own "database is locked" after its timeout, as before."""
    first = connect(database)
    first.execute("INSERT INTO answers (text) VALUES ('first')")
    second = connect(database, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        second.execute("INSERT INTO answers (text) VALUES ('second')")
    second.rollback()
    first.commit()
    second.execute("INSERT INTO answers (text) VALUES ('second')")
    second.commit()


def hold_turn_in_child(path: str, holding, release) -> None:
    connection = connect(path)
    connection.execute("INSERT INTO answers (text) VALUES ('child')")
    holding.set()
    release.wait(10)
    connection.commit()


def test_writers_of_two_processes_take_turns(database):
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()
    child = context.Process(target=hold_turn_in_child, args=(database, holding, release))
    child.start()
    assert holding.wait(10)
    done: dict = {}
    writer = insert_later(database, "parent", done)
    time.sleep(0.3)
    assert "parent" not in done
    released = time.monotonic()
    release.set()
    writer.join(5)
    child.join(5)
    assert child.exitcode == 0
    assert 0 <= done["parent"] - released < 0.1
    with connect(database) as connection:
        rows = [text for (text,) in connection.execute("SELECT text FROM answers ORDER BY id")]
    assert rows == ["child", "parent"]


def test_an_in_memory_database_has_no_queue():
    connection = sqlite3.connect(":memory:", factory=QueuedWriterConnection)
    assert connection.writer_queue is None
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
