"""Lesson Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes.

Runs when a module is synced, never per request: the HTML is stored with the module version.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

CALLOUTS = {
    "key-point": {"ru": "Главное", "en": "Key point"},
    "legal": {"ru": "Правовая норма", "en": "Legal reference"},
    "warning": {"ru": "Предупреждение о содержании", "en": "Content warning"},
}
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol",
    "p", "pre", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "div": {"class", "role"},
    "p": {"class"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
}
CITATION = re.compile(r"\[@([a-z0-9][a-z0-9-]*)\]")
IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*([^)\s]+)")
# An image path with a space in it (`![alt](../images/my diagram.png)`); a title after the
# path begins with a quotation mark (`![alt](path "title")`).
SPACED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+(?:[ \t]+[^)\s\"'(][^)\s]*)+)\s*\)")
RAW_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
ATTRIBUTE = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
JS_LINK = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data):", re.IGNORECASE)


@dataclass
class Rendered:
    html: str
    words: int
    problems: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (alt, path)
    citations: list[str] = field(default_factory=list)


def _parser(lang: str) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    for name, labels in CALLOUTS.items():
        md.use(container_plugin, name, render=_callout_renderer(name, labels[lang]))
    return md


def _callout_renderer(name: str, label: str) -> Callable:
    def render(self, tokens, idx, _options, _env):
        if tokens[idx].nesting == 1:
            return (
                f'<div class="callout callout-{name}" role="note">'
                f'<p class="callout-label">{label}</p>\n'
            )
        return "</div>\n"

    return render


_PARSERS = {lang: _parser(lang) for lang in ("ru", "en")}


class AssetError(ValueError):
    """Why an image file cannot be used; the lesson's problems name the image with it."""


def render_markdown(
    source: str,
    lang: str,
    citation_numbers: dict[str, int],
    asset_url: Callable[[str], str | None],
) -> Rendered:
    """Render one lesson text. `citation_numbers` maps reference ids to their numbers;
    `asset_url` maps a relative image path to its URL (None: the file does not exist; it raises
    AssetError for a file that exists but cannot be used)."""
    problems = _raw_html_problems(source)
    if JS_LINK.search(source):
        problems.append("javascript:, vbscript: and data: links are not allowed")
    spaced = SPACED_IMAGE.findall(source)
    problems += [
        f"image {path}: Markdown ends the path at its first space; rename the file without "
        "spaces (e.g. with - instead) and write the path so"
        for path in spaced
    ]
    cut = {path.split()[0] for path in spaced}
    images = [(alt, path) for alt, path in IMAGE.findall(source) if path not in cut]
    urls = {}
    for alt, path in images:
        if not alt.strip():
            problems.append(f"image {path}: missing alt text")
        try:
            urls[path] = asset_url(path)
        except AssetError as error:
            problems.append(f"image {path}: {error}")
            continue
        if urls[path] is None:
            problems.append(f"image {path}: file not found")
    citations = CITATION.findall(source)
    problems += [f"unknown reference id [@{c}]" for c in citations if c not in citation_numbers]

    def cite(match: re.Match) -> str:
        number = citation_numbers.get(match.group(1))
        return f"[[{number}]](#ref-{match.group(1)})" if number else match.group(0)

    def image(match: re.Match) -> str:
        return f"![{match.group(1)}]({urls.get(match.group(2)) or match.group(2)}"

    text = IMAGE.sub(image, CITATION.sub(cite, source))
    rendered = _PARSERS[lang].render(text)
    problems += link_problems(rendered)
    html = sanitize(rendered)
    words = len(re.findall(r"\w+", nh3.clean(html, tags=set())))
    return Rendered(html, words, problems, images, citations)


LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"", re.IGNORECASE)
WORKING_LINK = re.compile(r"^(https?://|mailto:|#|/)", re.IGNORECASE)  # / : a page of the site
SCRIPT_LINK = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def link_problems(html: str) -> list[str]:
    """Links that lead nowhere for a learner: an address without https:// is read as a page of
    Trainer (`www.consultant.ru` went to /learn/.../lessons/www.consultant.ru, not found), a
    module's file has no address, and other schemes are removed by the sanitizer."""
    problems = []
    for href in dict.fromkeys(unescape(h) for h in LINK.findall(html)):
        if WORKING_LINK.match(href) or SCRIPT_LINK.match(href):  # script links: reported
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
            problems.append(
                f"link {href}: only http, https and mailto links work; this one is removed"
            )
        elif re.match(r"^(www\.|[\w-]+\.(ru|рф|org|com|net|gov|int|eu|info)\b)", href):
            problems.append(
                f"link {href}: write the whole address, starting with https:// (without it the "
                "link leads to a page of Trainer that does not exist)"
            )
        else:
            problems.append(
                f"link {href}: a link to a file or page of the module does not work; name the "
                "lesson in words (learners move between lessons with the buttons below each)"
            )
    return problems


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _raw_html_problems(source: str) -> list[str]:
    """Raw HTML that the sanitizer would strip, so the author knows it will not show."""
    problems = []
    text = _without_code(source)
    if re.search(r"^# |^\S.*\n=+[ \t]*$", text, re.MULTILINE):
        problems.append("a level-1 heading (# ...): the lesson title is the page heading; use ##")
    for name in re.findall(r"^:::[ \t]*(\S+)", text, re.MULTILINE):
        if name not in CALLOUTS:
            problems.append(f"unknown callout '::: {name}'; use one of: {', '.join(CALLOUTS)}")
    for closing, tag, rest in RAW_TAG.findall(text):
        tag = tag.lower()
        if closing:
            continue
        if tag not in ALLOWED_TAGS:
            problems.append(f"raw HTML <{tag}> is removed by the sanitizer")
            continue
        for name, value in ATTRIBUTE.findall(rest.strip(" /")):
            if name.lower() not in ALLOWED_ATTRIBUTES.get(tag, set()):
                problems.append(f"raw HTML attribute {name} on <{tag}> is removed by the sanitizer")
            elif re.match(r"['\"]?\s*(javascript|vbscript|data):", value, re.IGNORECASE):
                problems.append(f"raw HTML <{tag} {name}> has a script link")
    return problems


def _without_code(source: str) -> str:
    # Tags shown as code (`<script>` in backticks, fenced blocks) are text, not HTML.
    source = re.sub(r"```.*?```|~~~.*?~~~", "", source, flags=re.DOTALL)
    return re.sub(r"`[^`]*`", "", source)
