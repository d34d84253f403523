"""Serving behind a reverse proxy: the client's address and scheme from the proxy's headers,
static files under versioned URLs that browsers and the proxy may keep for a year, and a
worker's threads taking turns to run the app."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from trainer.worker_turns import OneRequestAtATime

YEAR = 365 * 24 * 3600


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
