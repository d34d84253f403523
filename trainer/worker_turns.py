"""A worker's threads run the app one request at a time (on SQLite: TRAINER_SERIAL_REQUESTS),
except while a request waits on something outside that needs no GIL (outside_the_turn)."""

import threading
from contextlib import contextmanager

WAIT_SECONDS = 0.1  # the longest a request waits for its turn before it runs anyway
_held = threading.local()  # .turn: the turn this thread holds, if any


class OneRequestAtATime:
    """WSGI middleware: the threads of a worker run the app one request at a time, each
    waiting at most WAIT_SECONDS for its turn (then it runs beside the others, as without it).

    Under the GIL a worker's threads never run Python at once anyway; they only take turns more
    often. With SQLite every query is work in this process that lets go of the GIL for a few
    microseconds, long enough for another thread to take it: a scenario choice made by one of
    four busy threads changed threads about nine times (4,000 choices in process: 33,000
    context switches, 5,100 in turns, and 1.5-2.3 times the choices per second), and the
    thread holding the database's writers' turn (sqlite_writers.py) waited for the GIL while
    every writer waited for it. Served (make bench's gunicorn, 2 workers of 4 threads, one run
    each on one machine): scenario choices 664 -> 947 a second, CPU 2.6 -> 1.8 ms each; quiz
    answer saves 892 -> 1,258; the dashboard 529 -> 892; the lesson page 1,780 -> 2,238.
    Sockets are still read and written by the threads (the response is sent after the turn),
    so slow clients and kept-alive connections wait for no one. The known long waits are made
    outside the turn (outside_the_turn); the bounded wait covers the others."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.turn = threading.Lock()

    def __call__(self, environ, start_response):
        if not self.turn.acquire(timeout=WAIT_SECONDS):
            return self.wsgi_app(environ, start_response)
        _held.turn = self.turn
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if _held.turn is self.turn:  # not given up for good by outside_the_turn
                _held.turn = None
                self.turn.release()


@contextmanager
def outside_the_turn():
    """Lets the worker's other requests run while this one waits on something that needs no
    GIL and may take long: a password's key derivation (scrypt, ~0.1 s of C that lets go of
    the GIL: a class signing in at once held up every page of the worker), a mail server.
    The turn is taken again afterwards, waiting as long as for a request's turn."""
    turn = getattr(_held, "turn", None)
    if turn is None:  # no turns (PostgreSQL, the command line) or the wait for one ran out
        yield
        return
    _held.turn = None
    turn.release()
    try:
        yield
    finally:
        if turn.acquire(timeout=WAIT_SECONDS):
            _held.turn = turn
