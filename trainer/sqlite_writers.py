"""The app's SQLite writers wait their turn in a queue instead of in SQLite's lock polling.

SQLite lets one connection write at a time. Another that wants to write polls for the lock,
sleeping 1, 2, 5, 10, 15, 20, 25, ... ms between tries, however soon the lock is free. Under a
stream of scenario choices from two gunicorn workers with four threads each (wrk, 50
connections), most writes slept at least once: from a choice's first write to its commit took
1.5 ms at the median, 10 ms at p90 and 80 ms at p99, for 0.3 ms of work; the slowest choices
took 0.4-0.9 s. Here a connection takes its turn before its transaction's first write and gives
it up after the commit or rollback: threads of a process queue on a lock, processes on an flock
of a file beside the database; both wake the next writer as soon as the turn is given up (the
slowest choices then took 75-115 ms).

SQLite's own locking still guards the data (the sqlite3 shell or a backup writes without a
turn, and the app's writers then wait for them as before); this only orders the app's writers.
A turn lasts as long as the transaction that holds it: a long one (`flask demo`) makes the
others wait for it instead of failing after SQLite's busy timeout.
"""

import fcntl
import os
import sqlite3
import threading

# The statements before which Python's sqlite3 opens a transaction (its legacy transaction
# control, which SQLAlchemy's pysqlite dialect uses): a transaction's first write.
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriterQueue:
    """The turn to write to one database file, shared by the threads of this process and, by
    the file lock, by every process of the app."""

    def __init__(self, lock_path: str):
        self.lock_path = lock_path
        self.turn = threading.Lock()
        self.owner: int | None = None  # the thread holding the turn
        self.depth = 0  # its connections that wrote (two in one thread must not deadlock)
        self.descriptor: int | None = None
        self.descriptor_pid: int | None = None

    def enter(self) -> None:
        me = threading.get_ident()
        if self.owner == me:
            self.depth += 1
            return
        self.turn.acquire()
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self.turn.release()
            raise
        self.owner, self.depth = me, 1

    def leave(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.owner = None
            fcntl.flock(self.descriptor, fcntl.LOCK_UN)
            self.turn.release()

    def _descriptor(self) -> int:
        # A forked process opens its own: a descriptor inherited from its parent would share
        # the parent's lock instead of queueing behind it.
        if self.descriptor_pid != os.getpid():
            self.descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self.descriptor_pid = os.getpid()
        return self.descriptor


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def queue_for(database: str) -> WriterQueue | None:
    """The queue of a database file; none for an in-memory database (one connection)."""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
    with _queues_lock:
        return _queues.setdefault(path, WriterQueue(path + "-writers"))


class QueuedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        self.connection.take_turn_for(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.give_up_turn_if_done()

    def executemany(self, sql, seq_of_parameters):
        self.connection.take_turn_for(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.give_up_turn_if_done()


class QueuedWriterConnection(sqlite3.Connection):
    """sqlite3's connection (`factory=`), whose transactions that write take a turn first."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self.writer_queue = queue_for(os.fsdecode(database))
        self.has_turn = False

    def cursor(self, factory=QueuedCursor):
        return super().cursor(factory)

    def take_turn_for(self, sql: str) -> None:
        if self.writer_queue is None or self.has_turn or self.in_transaction:
            return
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.writer_queue.enter()
            self.has_turn = True

    def give_up_turn_if_done(self) -> None:
        if self.has_turn and not self.in_transaction:
            self.has_turn = False
            self.writer_queue.leave()

    def commit(self):
        try:
            super().commit()
        finally:
            self.give_up_turn_if_done()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.give_up_turn_if_done()

    def close(self):
        try:
            super().close()
        finally:
            if self.has_turn:
                self.has_turn = False
                self.writer_queue.leave()
