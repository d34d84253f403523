"""Gunicorn settings for the image (`gunicorn -c python:trainer.gunicorn_conf`)."""

import os

from trainer.config import check_workers

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = "-"


def on_starting(server) -> None:
    check_workers(server.cfg.workers)
