"""Parts of module pages that depend only on the module version and the page's language (the
references, the glossary, the module page's requirements and outline), rendered once per process
and language: a synced version never
changes (a changed module is stored as a new version), and the cache lives on its parsed
content (trainer/learning/content.py), which is keyed by the version and its content hash."""

import re
from dataclasses import dataclass

from flask import get_template_attribute, render_template
from markupsafe import Markup

from trainer.i18n import current_lang
from trainer.learning.completion import Requirement, requirements
from trainer.learning.content import ModuleContent

CITATION = re.compile(r'href="#ref-([^"]+)"')


def cached(content: ModuleContent, key: tuple, make):
    made = content.cache.get(key)
    if made is None:
        made = content.cache[key] = make()
    return made


def rendered(template: str, **context) -> Markup:
    return Markup(render_template(template, **context))  # noqa: S704  (Jinja escaped it)


@dataclass(frozen=True)
class ModuleParts:
    """The module page's lists, each entry with its HTML: the completion rule's requirements
    (the page marks each met or not) and the outline (the page adds each lesson's badge)."""

    requirements: list[tuple[Requirement, Markup]]
    outline: list[tuple[str, str, Markup]]  # kind, id, link


def module_parts(content: ModuleContent, slug: str) -> ModuleParts:
    return cached(content, ("module parts", current_lang()), lambda: _module_parts(content, slug))


def _module_parts(content: ModuleContent, slug: str) -> ModuleParts:
    macros = "learn/_module_parts.html"
    requirement_text = get_template_attribute(macros, "requirement_text")
    lesson_link = get_template_attribute(macros, "lesson_link")
    part_link = get_template_attribute(macros, "part_link")
    outline = [("lesson", lesson.id, lesson_link(slug, lesson)) for lesson in content.meta.lessons]
    for kind, parts in (("quiz", content.quizzes), ("scenario", content.scenarios)):
        outline += [(kind, ident, part_link(slug, kind, ident, p)) for ident, p in parts.items()]
    return ModuleParts(
        requirements=[(r, requirement_text(content, r)) for r in requirements(content.meta)],
        outline=outline,
    )


def references(content: ModuleContent, lesson_id: str | None = None) -> Markup:
    """The module's numbered reference list; on a lesson, the references it cites, with the
    module's numbers (the text's [n] links point at them)."""
    return cached(
        content,
        ("references", lesson_id, current_lang()),
        lambda: rendered("learn/_references.html", references=cited(content, lesson_id)),
    )


def cited(content: ModuleContent, lesson_id: str | None) -> list:
    """(module's number, reference): all of them, or those the lesson's text cites."""
    numbered = list(enumerate(content.meta.references, start=1))
    if lesson_id is None:
        return numbered
    found = set()
    for html in content.lesson_html.get(lesson_id, {}).values():
        found.update(CITATION.findall(html))
    return [(n, ref) for n, ref in numbered if ref.id in found]


def glossary(content: ModuleContent) -> Markup:
    return cached(
        content,
        ("glossary", current_lang()),
        lambda: rendered("learn/_glossary.html", glossary=content.meta.glossary),
    )


def register(app) -> None:
    app.jinja_env.globals.update(
        references_html=references, glossary_html=glossary, module_parts=module_parts
    )
