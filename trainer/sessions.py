"""Flask's signed-cookie sessions, each cookie checked once per worker.

A signed-in person sends the same session cookie with every request until the session changes
(sign-in, language switch, a flash message). Flask builds a new serializer for every request and
checks the cookie's signature, decodes and parses it each time: about a twentieth of a simple
page's cost. Here the serializer is built once per secret, and a cookie whose signature was
checked is remembered with its contents; its age is still checked on every request, against the
time it was signed, so a session expires exactly as before.
"""

import copy
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

# Verified cookies kept per worker; past this many, the store starts over (a few MB at most).
VERIFIED_MAX = 20_000
IMMUTABLE = frozenset({str, int, float, bool, type(None)})


class SignedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}
        # (secret keys, cookie) -> (time signed, contents, whether its values are all immutable);
        # contents are copied out, never shared.
        self._verified: dict[tuple, tuple[int, dict, bool]] = {}

    def get_signing_serializer(self, app) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (tuple(serializer.secret_keys), cookie)
        known = self._verified.get(key)
        if known is None:
            try:
                contents, signed = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:  # a forged or expired cookie: a new, empty session
                return self.session_class()
            if len(self._verified) >= VERIFIED_MAX:
                self._verified.clear()
            flat = all(type(value) in IMMUTABLE for value in contents.values())
            known = self._verified[key] = (int(signed.timestamp()), contents, flat)
        signed_at, contents, flat = known
        if int(time.time()) - signed_at > max_age:  # expired since first seen
            return self.session_class()
        # A signed-in session holds strings and flags only: a copy of the dict is a full copy.
        return self.session_class(contents.copy() if flat else copy.deepcopy(contents))

    def save_session(self, app, session, response) -> None:
        if session and not self.should_set_cookie(app, session):
            # The cookie stays as sent (most requests): "Vary: Cookie" is all there is to add,
            # written directly rather than through Werkzeug's parsed header set.
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)
