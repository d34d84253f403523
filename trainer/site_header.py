"""The site header, rendered once per language, page and menu, then reused.

It was a third of a simple page's cost (fifteen links built, four permission checks, a dozen
strings translated on every request). Only two things in it differ between requests with the
same key: the CSRF token of its two forms and the address the language switcher returns to.
They are rendered as placeholders and put in for each request.
"""

from flask import Flask, current_app, render_template, request
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


def site_header() -> Markup:
    signed_in = bool(current_user.is_authenticated)
    allowed = tuple(signed_in and can(current_user, action) for action in MENU_ACTIONS)
    key = (current_lang(), request.endpoint, request.script_root, signed_in, allowed)
    rendered = current_app.extensions.setdefault("site_header", {})
    html = rendered.get(key)
    if html is None:
        html = render_template(
            "_site_header.html",
            signed_in=signed_in,
            allowed=dict(zip(MENU_ACTIONS, allowed, strict=True)),
            csrf=CSRF,
            next=NEXT,
        )
        if len(rendered) >= KEPT:
            rendered.clear()
        rendered[key] = html
    back_to = request.full_path if request.query_string else request.path
    # The return address goes in last, so that nothing in it is taken for a placeholder.
    filled = html.replace(CSRF, escape(generate_csrf())).replace(NEXT, escape(back_to))
    return Markup(filled)  # noqa: S704  (Jinja escaped the header; what is put in is escaped)


def register(app: Flask) -> None:
    app.jinja_env.globals["site_header"] = site_header
