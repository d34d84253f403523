"""The site header, rendered once per language, page and menu, then reused.

It was a third of a simple page's cost (fifteen links built, four permission checks, a dozen
strings translated on every request). Only two things in it differ between requests with the
same key: the CSRF token of its two forms and the address the language switcher returns to.
They are rendered as placeholders and put in for each request.
"""

import time

from flask import Flask, current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from trainer.i18n import current_lang
from trainer.policy import can

# The menu's entries that depend on who is signed in: shown when the user may do this.
MENU_ACTIONS = ("quiz.review.queue", "cohorts.list", "certificates.list", "admin.users.list")
# NUL never reaches a page from a template, and the values put in are escaped.
CSRF = Markup("\x00csrf\x00")
NEXT = Markup("\x00next\x00")
KEPT = 2048  # headers kept per app: about 100 pages × 2 languages × a few menus
# A session's signed CSRF token is used again on its pages for this long (Trainer's tokens do not
# expire on time, WTF_CSRF_TIME_LIMIT is None: they last as long as the session).
TOKEN_REUSE_SECONDS = 60
TOKENS_KEPT = 20_000

# The menu entry of the section a page belongs to, by the page's endpoint, else its blueprint:
# a module's pages (a lesson, a quiz, a scenario) are under "Modules", a cohort's under
# "Cohorts". The entry's own page is marked aria-current="page"; on the section's other pages
# it is aria-current="true", "the current item of the set" (WAI-ARIA), not this very page.
SECTION_OF_ENDPOINT = {
    "learn.my_training": "learn.my_training",
    "admin.invites": "admin.invites",
    "certificates.verify": "certificates.verify_form",
    "certificates.verify_form": "certificates.verify_form",
}
SECTION_OF_BLUEPRINT = {
    "learn": "learn.catalogue",
    "quiz": "learn.catalogue",
    "scenarios": "learn.catalogue",
    "review": "review.queue",
    "cohorts": "cohorts.index",
    "certificates": "certificates.index",
    "admin": "admin.users",  # a user's page, a new account, the audit log (linked from Users)
    "account": "account.profile",
    "auth": "auth.login",  # the forgotten password, registration, activation: ways in
}
CLASSROOM_GUEST_PAGES = {"classroom.join", "classroom.participant_page", "classroom.vote"}


def section_of(endpoint: str | None) -> str | None:
    """The endpoint of the menu entry whose section the page `endpoint` is in, if any."""
    if endpoint is None:
        return None
    if endpoint in SECTION_OF_ENDPOINT:
        return SECTION_OF_ENDPOINT[endpoint]
    if endpoint in CLASSROOM_GUEST_PAGES:  # a participant's pages, under "Join a class"
        return "classroom.enter"
    return SECTION_OF_BLUEPRINT.get(endpoint.partition(".")[0])


def site_header() -> Markup:
    user = current_user._get_current_object()  # one look-up, not one per menu entry
    signed_in = bool(user.is_authenticated)
    allowed = tuple(signed_in and can(user, action) for action in MENU_ACTIONS)
    endpoint = request.endpoint
    key = (current_lang(), endpoint, request.script_root, signed_in, allowed)
    rendered = current_app.extensions.setdefault("site_header", {})
    html = rendered.get(key)
    if html is None:
        html = render_template(
            "_site_header.html",
            signed_in=signed_in,
            section=section_of(endpoint),  # the key holds the endpoint: one output
            allowed=dict(zip(MENU_ACTIONS, allowed, strict=True)),
            csrf=CSRF,
            next=NEXT,
        )
        if len(rendered) >= KEPT:
            rendered.clear()
        rendered[key] = html
    back_to = request.full_path if request.query_string else request.path
    # The return address goes in last, so that nothing in it is taken for a placeholder.
    filled = html.replace(CSRF, escape(csrf_token())).replace(NEXT, escape(back_to))
    return Markup(filled)  # noqa: S704  (Jinja escaped the header; what is put in is escaped)


def csrf_token() -> str:
    """The request's CSRF token, as Flask-WTF's generate_csrf makes it, but signed once a minute
    per session secret and worker rather than on every page (signing was a twentieth of a
    page). Any token of the session passes: they all sign the same secret."""
    token = g.get("csrf_token")  # this request's, if it asked already
    if token is not None:
        return token
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get("csrf_token")
    reused = current_app.extensions.setdefault("csrf_tokens", {})
    known = reused.get((secret, raw)) if raw else None
    now = time.monotonic()
    if known is not None and now - known[0] < TOKEN_REUSE_SECONDS:
        g.csrf_token = known[1]
        return known[1]
    token = generate_csrf()  # makes the session's secret if it has none
    if len(reused) >= TOKENS_KEPT:
        reused.clear()
    reused[(secret, session["csrf_token"])] = (now, token)
    return token


def register(app: Flask) -> None:
    app.jinja_env.globals.update(site_header=site_header, csrf_token=csrf_token)
