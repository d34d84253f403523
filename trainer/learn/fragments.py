"""Parts of module pages that depend only on the module version and the page's language (the
references, the glossary), rendered once per process and language: a synced version never
changes (a changed module is stored as a new version), and the cache lives on its parsed
content (trainer/learning/content.py), which is keyed by the version and its content hash."""

import re

from flask import render_template
from markupsafe import Markup

from trainer.i18n import current_lang
from trainer.learning.content import ModuleContent

CITATION = re.compile(r'href="#ref-([^"]+)"')


def cached(content: ModuleContent, key: tuple, render) -> Markup:
    html = content.cache.get(key)
    if html is None:
        html = content.cache[key] = Markup(render())  # noqa: S704  (Jinja escaped it)
    return html


def references(content: ModuleContent, lesson_id: str | None = None) -> Markup:
    """The module's numbered reference list; on a lesson, the references it cites, with the
    module's numbers (the text's [n] links point at them)."""
    numbered = list(enumerate(content.meta.references, start=1))
    if lesson_id is not None:
        cited = set()
        for html in content.lesson_html.get(lesson_id, {}).values():
            cited.update(CITATION.findall(html))
        numbered = [(n, ref) for n, ref in numbered if ref.id in cited]
    return cached(
        content,
        ("references", lesson_id, current_lang()),
        lambda: render_template("learn/_references.html", references=numbered),
    )


def glossary(content: ModuleContent) -> Markup:
    return cached(
        content,
        ("glossary", current_lang()),
        lambda: render_template("learn/_glossary.html", glossary=content.meta.glossary),
    )


def register(app) -> None:
    app.jinja_env.globals.update(references_html=references, glossary_html=glossary)
