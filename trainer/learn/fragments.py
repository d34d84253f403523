"""Parts of the learner's pages that depend only on the module version and the page's language
(the references, the glossary, the module page's head, requirements and outline, the lesson page's
content), rendered once per process and language: a synced version never changes (a changed
module is stored as a new version), and the cache lives on its parsed content
(trainer/learning/content.py), which is keyed by the version and its content hash. What differs
between learners is chosen per request: among prepared variants (a requirement met or not, a
lesson done or not), or put into a placeholder (a form's CSRF token, as in site_header.py)."""

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property

from flask import Response, current_app, get_template_attribute, render_template, request
from markupsafe import Markup, escape

from trainer.i18n import current_lang, localized
from trainer.learn.dates import ReaderDates
from trainer.learn.sections import paired_sections
from trainer.learning.completion import Requirement, requirements
from trainer.learning.content import ModuleContent
from trainer.models import Progress
from trainer.site_header import CSRF, csrf_token

CITATION = re.compile(r'href="#ref-([^"]+)"')


def cached(content: ModuleContent, key: tuple, make):
    made = content.cache.get(key)
    if made is None:
        made = content.cache[key] = make()
    return made


def rendered(template: str, **context) -> "Part":
    return Part(render_template(template, **context))


class Part(Markup):
    """A part kept for many requests, with its UTF-8 bytes made once, for `splice`."""

    @cached_property
    def utf8(self) -> bytes:
        return self.encode()


# Encoding a page to UTF-8 is much of what its big kept parts cost it (CPython's encoder takes
# about 14 instructions a Cyrillic character: 420k for the module page's 30,000). A page answered
# by `page` has each spliced part's place marked in its text, encoded without them, and gets the
# parts' bytes, made once, put in. A marker holds a NUL and a token of this process: neither can
# come from a form (trainer/inputs.py refuses control characters) or a module.
MARKER = "\x00" + secrets.token_hex(8)
MARKED = re.compile(re.escape(MARKER.encode()) + rb"(\d+)\x00")
# The parts of the page `page` is rendering (a context variable: cheaper to read than `g`).
_spliced: ContextVar[list[bytes] | None] = ContextVar("spliced", default=None)


def splice(part: Markup | bytes) -> Markup:
    """On a page answered by `page`, the marker of the part (a kept Part's bytes are encoded
    once, other text each time); elsewhere the part itself."""
    spliced = _spliced.get()
    if spliced is None:
        return part if isinstance(part, Markup) else Markup(part.decode())  # noqa: S704
    if not isinstance(part, bytes):
        part = part.utf8 if isinstance(part, Part) else part.encode()
    spliced.append(part)
    return Markup(f"{MARKER}{len(spliced) - 1}\x00")  # noqa: S704  (no text of anyone's)


def page(template: str, **context) -> Response:
    """render_template's page, its spliced parts put in as bytes."""
    spliced = []
    token = _spliced.set(spliced)
    try:
        body = render_template(template, **context).encode()
    finally:
        _spliced.reset(token)
    return current_app.response_class(MARKED.sub(lambda found: spliced[int(found[1])], body))


@dataclass(frozen=True)
class ModuleParts:
    """The module page's parts: its head (title, summary, facts), then the completion rule's
    requirements, each rendered unmet and met, and the outline's entries, each lesson's rendered
    with no badge, "Opened" and "Done" (the learner's progress picks one per request)."""

    head: Part
    requirements: list[tuple[Requirement, tuple[Part, Part]]]  # (unmet, met)
    outline: list[tuple[str | None, dict[str | None, Part]]]  # lesson id or None, by badge
    frame: tuple[bytes, bytes, bytes]  # the sections around the checklist and the outline

    def sections(self, state: dict) -> bytes:
        opening, between, closing = self.frame
        return b"".join((opening, self.checklist(state), between, self.contents(state), closing))

    def checklist(self, state: dict) -> bytes:
        return b"".join(items[r.met(state)].utf8 for r, items in self.requirements)

    def contents(self, state: dict) -> bytes:
        done, viewed = state.get("lessons", []), state.get("viewed", [])
        return b"".join(
            items[badge(lesson_id, done, viewed)].utf8 for lesson_id, items in self.outline
        )


def badge(lesson_id: str | None, done: list, viewed: list) -> str | None:
    """The outline entry's badge: a lesson's "done" or "opened", none for the rest."""
    if lesson_id is None:
        return None
    if lesson_id in done:
        return "done"
    return "opened" if lesson_id in viewed else None


CHECKLIST = Markup("\x00checklist\x00")
CONTENTS = Markup("\x00contents\x00")


def module_parts(content: ModuleContent, slug: str) -> ModuleParts:
    key = ("module parts", slug, current_lang(), request.script_root)
    return cached(content, key, lambda: _module_parts(content, slug))


def _module_parts(content: ModuleContent, slug: str) -> ModuleParts:
    macros = "learn/_module_parts.html"
    requirement_item = get_template_attribute(macros, "requirement_item")
    outline_item = get_template_attribute(macros, "outline_item")
    lesson_link = get_template_attribute(macros, "lesson_link")
    part_link = get_template_attribute(macros, "part_link")
    outline = [
        (
            lesson.id,
            {
                shown: Part(outline_item("lesson", lesson.id, lesson_link(slug, lesson), shown))
                for shown in (None, "opened", "done")
            },
        )
        for lesson in content.meta.lessons
    ]
    for kind, parts in (("quiz", content.quizzes), ("scenario", content.scenarios)):
        outline += [
            (None, {None: Part(outline_item(kind, ident, part_link(slug, kind, ident, p), None))})
            for ident, p in parts.items()
        ]
    sections = get_template_attribute(macros, "sections")(CHECKLIST, CONTENTS).encode()
    opening, rest = sections.split(CHECKLIST.encode())
    between, closing = rest.split(CONTENTS.encode())
    return ModuleParts(
        frame=(opening, between, closing),
        head=Part(get_template_attribute(macros, "head")(content)),
        requirements=[
            (
                r,
                (
                    Part(requirement_item(content, r, False)),
                    Part(requirement_item(content, r, True)),
                ),
            )
            for r in requirements(content.meta)
        ],
        outline=outline,
    )


def lesson_page(
    content: ModuleContent, slug: str, lesson_id: str, *, text: bool, both: bool, done: bool
) -> bytes:
    """The lesson page's content: the text (when `text`) in one language or both side by side,
    the "done" form or badge, the pager and the references the lesson cites; as UTF-8, for
    `splice`, kept encoded around the place of this request's CSRF token."""
    key = ("lesson page", slug, lesson_id, current_lang(), request.script_root, text, both, done)
    pieces = cached(
        content,
        key,
        lambda: [
            p.encode() for p in _lesson_page(content, slug, lesson_id, text, both, done).split(CSRF)
        ],
    )
    return escape(csrf_token()).encode().join(pieces) if len(pieces) > 1 else pieces[0]


def _lesson_page(
    content: ModuleContent, slug: str, lesson_id: str, text: bool, both: bool, done: bool
) -> Markup:
    html = content.lesson_html[lesson_id] if text else None
    previous, following = content.neighbours(lesson_id)
    return rendered(
        "learn/_lesson_page.html",
        slug=slug,
        content=content,
        lesson=content.lesson(lesson_id),
        html=html,
        both=both,
        sections=paired_sections(html["ru"], html["en"]) if html and both else None,
        done=done,
        previous=previous,
        following=following,
        csrf=CSRF,
    )


def with_csrf(html: Markup) -> Markup:
    """The page part with this request's CSRF token in its placeholder, if it has one."""
    if CSRF not in html:
        return html
    return html.replace(CSRF, escape(csrf_token()))


# Stand-ins for what differs between cards of "Assigned to you" of the same module and state:
# the cohort's name and the due date. The cards are kept per process (no version to keep them
# on: the key holds the module's title), up to ASSIGNED_KEPT.
COHORT = Markup("\x00cohort\x00")
DUE = Markup("\x00due\x00")
ASSIGNED_KEPT = 10_000
_assigned: dict[tuple, Markup] = {}


def assigned_card(item, dates: ReaderDates) -> Markup:
    """A card of "Assigned to you" for an AssignedModule: rendered once per language, script
    root, module slug and title, status, percentage, whether it is overdue and whether it is due
    at all; the cohort's name and the due date put in."""
    title = localized(item.title)
    due = item.due_on is not None
    key = (current_lang(), request.script_root, item.slug, title, item.status, item.percent)
    key += (item.overdue, due)
    card = _assigned.get(key)
    if card is None:
        if len(_assigned) >= ASSIGNED_KEPT:
            _assigned.clear()
        macro = get_template_attribute("learn/_cards.html", "assigned_card")
        args = (item.slug, title, item.status, item.percent, item.overdue, COHORT, due and DUE)
        card = _assigned[key] = macro(*args)
    card = card.replace(COHORT, escape(item.cohort))
    if due:
        card = card.replace(DUE, escape(dates.date(item.due_on, "long")))
    return card


def catalogue_card(content: ModuleContent, slug: str, status: str | None, percent: int) -> Markup:
    """A module's card in the catalogue, with the learner's status (none before they start
    the module) and percentage done."""
    return macro_of(content, "learn/_cards.html", "catalogue_card", slug, status, percent)


# Stand-ins for what differs between learners on a "My training" card of the same module
# version, status, percentage and next step: its dates and its certificate's panel.
COMPLETED = Markup("\x00completed\x00")
PANEL = Markup("\x00panel\x00")
UPDATED = Markup("\x00updated\x00")


def training_card(
    content: ModuleContent, row, step_url: str | None, certificate, dates: ReaderDates
) -> Markup:
    """A module's card in "My training" for a row of learners_training: rendered once per
    version, language, status, percentage, next step and whether a certificate is held; the
    learner's dates and certificate panel put in."""
    card = macro_of(
        content,
        "learn/_cards.html",
        "training_card",
        row.slug,
        row.status,
        row.percent,
        step_url,
        COMPLETED,
        certificate and PANEL,
        UPDATED,
    )
    card = card.replace(UPDATED, escape(dates.datetime(row.updated_at, "short")))
    if COMPLETED in card:
        card = card.replace(COMPLETED, escape(dates.date(row.completed_at, "long")))
    if certificate:
        card = card.replace(PANEL, certificate_panel(certificate))
    return card


def module_progress(
    content: ModuleContent, progress: Progress | None, continue_url: str | None
) -> Markup:
    """The module page's status, progress bar and link to the next step (or to the start)."""
    status, percent = (progress.status, progress.percent) if progress else (None, 0)
    return macro_of(
        content, "learn/_module_parts.html", "progress_summary", status, percent, continue_url
    )


def restart_form(content: ModuleContent, slug: str, newer_version: bool) -> Markup:
    form = macro_of(content, "learn/_module_parts.html", "restart_form", slug, newer_version, CSRF)
    return with_csrf(form)


def macro_of(content: ModuleContent, template: str, macro: str, *args) -> Markup:
    """The macro called with the module's content and `args` (values for a key), rendered once
    per version, language, script root and `args`."""
    key = (template, macro, current_lang(), request.script_root, *args)
    return cached(content, key, lambda: get_template_attribute(template, macro)(content, *args))


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


# A stand-in certificate: its download links are rendered once per language and script root
# with these in place of the id and the number, which each card puts in (numbers so unusual
# that nothing else in the links can contain them).
LINKS_ID = 918_273_645_546_372_819
LINKS_SERIAL = Markup("\x00serial\x00")


@dataclass(frozen=True)
class _StandIn:
    id: int = LINKS_ID
    serial: str = LINKS_SERIAL
    revoked: bool = False
    revoked_at: None = None


_LINKS: dict[tuple[str, str], Markup] = {}


def certificate_panel(certificate) -> Markup:
    """A held certificate's panel: its download links, or the notice that it was revoked
    (rendered each time: it shows a date in the learner's time zone)."""
    if certificate.revoked:
        return downloads(certificate)
    key = (current_lang(), request.script_root)
    links = _LINKS.get(key)
    if links is None:
        links = _LINKS[key] = downloads(_StandIn())
    filled = links.replace(str(LINKS_ID), str(certificate.id))
    return Markup(filled.replace(LINKS_SERIAL, escape(certificate.serial)))  # noqa: S704


def downloads(certificate) -> Markup:
    return get_template_attribute("certificates/_macros.html", "downloads")(certificate)


def register(app) -> None:
    app.jinja_env.globals.update(
        references_html=references,
        glossary_html=glossary,
        module_parts=module_parts,
        module_progress=module_progress,
        restart_form=restart_form,
        certificate_panel=certificate_panel,
        splice=splice,
    )
