"""Serving behind a reverse proxy: the client's address and scheme from the proxy's headers,
static files under versioned URLs that browsers and the proxy may keep for a year, and a
worker's threads taking turns to run the app."""

import hashlib
import threading
from functools import lru_cache
from pathlib import Path

from flask import Flask, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

YEAR = 365 * 24 * 3600


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
    so slow clients and kept-alive connections wait for no one. The wait is bounded so that a
    request stalled on something outside (a mail server) holds up the others no longer."""

    WAIT_SECONDS = 0.1

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.turn = threading.Lock()

    def __call__(self, environ, start_response):
        if not self.turn.acquire(timeout=self.WAIT_SECONDS):
            return self.wsgi_app(environ, start_response)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            self.turn.release()


def register(app: Flask) -> None:
    if app.config.get("TRAINER_SERIAL_REQUESTS"):
        app.wsgi_app = OneRequestAtATime(app.wsgi_app)
    hops = app.config.get("TRAINER_PROXY_HOPS", 0)
    if hops:
        # Trust X-Forwarded-For/-Proto/-Host from exactly `hops` proxies in front of the app:
        # rate limits then count each client's address, not the proxy's, and links say https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    static = Path(app.static_folder)
    versions = {}  # filename -> version, for url_for: a page links its CSS and icons each time

    @app.url_defaults
    def version_static_urls(endpoint, values) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            filename = values["filename"]
            version = versions.get(filename)
            if version is None:
                version = versions[filename] = file_version(static / filename)
            values["v"] = version

    urls = {}  # (script root, filename) -> versioned URL, built once

    @app.template_global()
    def static_url(filename: str) -> str:
        """url_for("static", ...) for templates, built once: every page links its stylesheet,
        script and icon."""
        key = (request.script_root, filename)
        url = urls.get(key)
        if url is None:
            url = urls[key] = url_for("static", filename=filename)
        return url

    @app.after_request
    def cache_versioned_static(response):
        """A static file asked for by its current version is cached for a year; any other
        (no version, or another server's version during an upgrade) is revalidated."""
        if request.endpoint == "static" and response.status_code == 200:
            filename = (request.view_args or {}).get("filename", "")
            wanted = request.args.get("v")
            if wanted and wanted == file_version(static / filename):
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
                response.cache_control.no_cache = None
        return response


@lru_cache(maxsize=256)
def file_version(path: Path) -> str:
    """The first hex digits of the file's SHA-256; empty for a file that does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""
