"""Gunicorn settings for the image (`gunicorn -c python:trainer.gunicorn_conf`)."""

import gc
import os

from trainer.config import check_workers

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = "-"


def on_starting(server) -> None:
    check_workers(server.cfg.workers)


def post_worker_init(worker) -> None:
    # What the worker has loaded by now (the app, its templates, modules, compiled queries) lives
    # as long as the worker does: frozen, the collector's full collections no longer walk it.
    # They ran every few dozen requests that kept something (a new session's cookie, a token)
    # and cost a third of a scenario choice's time.
    gc.freeze()
