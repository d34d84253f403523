"""gunicorn settings for every app `make bench` serves, the baselines included: the production
image's worker hook and listening sockets (trainer/gunicorn_conf.py), not its address, worker
count or access log."""

from trainer.gunicorn_conf import post_worker_init, reuse_port  # noqa: F401
