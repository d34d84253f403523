"""Gunicorn settings for the image (`gunicorn -c python:trainer.gunicorn_conf`)."""

import gc
import os

from trainer.config import check_workers

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = "-"
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# over them. On one shared socket the first worker to wake up accepts them: a reverse proxy's or
# a load test's keep-alive connections often all went to one worker, which served everything
# on one core while the other idled (measured with wrk, 50 connections, 2 workers: 3 runs in 30
# at a third of the throughput, the machine 42% idle; with this, 0 in 25).
reuse_port = True


def on_starting(server) -> None:
    check_workers(server.cfg.workers)


def when_ready(server) -> None:
    # With reuse_port the master opens no socket, so gunicorn's own line reads "Listening at:"
    # with no address: an operator reading the log is told where the workers listen.
    server.log.info("Listening at: %s (a socket per worker)", ",".join(server.cfg.bind))


def post_worker_init(worker) -> None:
    # What the worker has loaded by now (the app, its templates, modules, compiled queries) lives
    # as long as the worker does: frozen, the collector's full collections no longer walk it.
    # They ran every few dozen requests that kept something (a new session's cookie, a token)
    # and cost a third of a scenario choice's time.
    gc.freeze()
