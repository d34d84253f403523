"""The frame of every page (base.html): what comes before the page's title, between its title
and the site header, and after its content. It depends only on the page's language and the
address prefix the site is served under, so each part is rendered once per process for each
(trainer/templates/_frame.html); it was a tenth of a lesson page's cost, rendered anew on every
request (the language looked up, two strings translated, three links built)."""

from flask import Flask, current_app, get_template_attribute, request
from markupsafe import Markup

from trainer.i18n import current_lang

KEPT = 64  # parts × languages × prefixes: a handful; the bound is a guard


def frame(part: str) -> Markup:
    rendered = current_app.extensions["page_frame"]
    key = (part, current_lang(), request.script_root)
    html = rendered.get(key)
    if html is None:
        if len(rendered) >= KEPT:
            rendered.clear()
        html = rendered[key] = get_template_attribute("_frame.html", part)()
    return html


def register(app: Flask) -> None:
    app.extensions["page_frame"] = {}
    app.jinja_env.globals["frame"] = frame
