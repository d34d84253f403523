"""Read a module folder, check everything, and report every problem with file, line and field.

`load_module(path)` is the one validator: the CLI, the sync and the tests all call it.
"""

import hashlib
import mimetypes
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

import yaml
from pydantic import BaseModel, ValidationError

from trainer.content import yaml_guard
from trainer.content.markdown import AssetError, render_markdown
from trainer.content.report import LANG_NAMES, LANGS, ContentError, dotted, line_of, source_of
from trainer.content.schema import (
    ID_PATTERN,
    IMPORT_SOURCE,
    NODE_TYPES,
    QUESTION_TYPES,
    SCHEMA_VERSION,
    ChoiceQuestion,
    LessonEntry,
    ModuleMeta,
    PartEntry,
    Quiz,
    Reference,
    Scenario,
    blank,
    shown,
)
from trainer.content.validate_imports import check_imports
from trainer.content.validate_scenario import check_scenario
from trainer.inputs import has_control_characters

MAX_ASSET_BYTES = 5 * 1024 * 1024
# Limits checked before anything is read: the largest shipped text file is about 160 KB, the
# largest module about 0.8 MB. A 20 MB lesson took minutes to validate and render.
MAX_TEXT_BYTES = 1024 * 1024  # each module.yaml, lesson, quiz and scenario file
MAX_MODULE_BYTES = 50 * 1024 * 1024  # every file of the module folder together, images included
MAX_MODULE_FILES = 1000  # the shipped modules have under 20
# `law_as_of` is when the legal content was last checked: not before the codes it checks.
EARLIEST_LAW_AS_OF = date(1990, 1, 1)
RASTER_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}

# libyaml's safe loader where PyYAML was built with it: twenty times faster than the pure-Python
# one on a module's files, with the same data and the same line marks.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Asset:
    path: str
    mime: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ModulePackage:
    """A valid module, ready to be stored as a version."""

    meta: ModuleMeta
    lessons: dict[str, dict]  # id -> {"html": {lang: str}, "words": {lang: int}}
    quizzes: dict[str, Quiz]
    scenarios: dict[str, Scenario]
    assets: dict[str, Asset]  # sha256 -> asset
    content_hash: str

    def to_json(self) -> dict:
        return {
            "meta": self.meta.model_dump(mode="json"),
            "lessons": self.lessons,
            "quizzes": {k: q.model_dump(mode="json") for k, q in self.quizzes.items()},
            "scenarios": {k: s.model_dump(mode="json") for k, s in self.scenarios.items()},
        }


@dataclass
class LoadResult:
    folder: Path
    package: ModulePackage | None = None
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)  # a package despite them


def asset_url(sha256: str, path: str) -> str:
    """Lesson HTML points at assets by content hash, relative to the lesson page."""
    return f"assets/{sha256}{PurePosixPath(path).suffix.lower()}"


class _Checker:
    def __init__(self, folder: Path):
        self.folder = folder
        self.errors: list[ContentError] = []
        self.warnings: list[ContentError] = []

    def shown(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def error(self, path: Path, field_path: str, message: str, line: int | None = None) -> None:
        self.errors.append(ContentError(self.shown(path), field_path, message, line))

    def warn(self, path: Path, field_path: str, message: str, line: int | None = None) -> None:
        self.warnings.append(ContentError(self.shown(path), field_path, message, line, True))

    def too_big(self, path: Path) -> bool:
        """Report a text file above MAX_TEXT_BYTES, before anything reads it."""
        size = path.stat().st_size
        if size <= MAX_TEXT_BYTES:
            return False
        message = (
            f"the file is {megabytes(size)}, more than the limit of "
            f"{megabytes(MAX_TEXT_BYTES)} for a text file of a module; split it"
        )
        self.error(path, "", message)
        return True

    def read_yaml(self, path: Path):
        """(data, node tree) or (None, None) after reporting why."""
        if not path.is_file():
            self.error(path, "", "file not found")
            return None, None
        if self.too_big(path):
            return None, None
        try:
            text = path.read_text(encoding="utf-8")
            return self.parse_yaml(path, text)
        except UnicodeDecodeError:
            self.error(path, "", "not UTF-8 text")
        except yaml.YAMLError as exc:
            self.error(path, "", *yaml_syntax_problem(exc))
        return None, None

    def parse_yaml(self, path: Path, text: str):
        """(data, node tree) of a YAML document, parsed once: the nodes carry the line numbers
        that error messages point to. None, None for a file without data or with data that has
        no end (yaml_guard.py)."""
        loader = SAFE_LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                self.error(path, "", "the file is empty")
                return None, None
            problem = yaml_guard.alias_problem(node)
            if problem:
                self.error(path, "", problem)
                return None, None
            for loc, bad in yaml_guard.control_characters(node):
                message = "contains control characters (such as NUL) that text cannot hold"
                if bad.tag == yaml_guard.BINARY_TAG:
                    message = "binary data (!!binary) where text belongs"
                self.error(path, dotted(loc), message, bad.start_mark.line + 1)
            for loc, key, first in yaml_guard.repeated_keys(node):
                message = (
                    f"'{key.value}' is written twice here (first on line {first}); YAML keeps "
                    "only the last value, silently: delete one of them"
                )
                self.error(path, dotted(loc), message, key.start_mark.line + 1)
            for loc, bad, comment in yaml_guard.comments_after_texts(node, text, LANGS):
                message = (
                    f"the text ends before ' #': YAML reads '{comment[:40]}' as a comment, not as "
                    "part of the text; put the text in double quotes if the # belongs to it"
                )
                self.warn(path, dotted(loc), message, bad.start_mark.line + 1)
            for loc, bad, value in yaml_guard.base_60_numbers(node):
                message = (
                    f"YAML reads {bad.value} as {value}, a number in base 60: put it in double "
                    "quotes if it is a text such as a time of day, or write the number plainly"
                )
                self.error(path, dotted(loc), message, bad.start_mark.line + 1)
            try:
                return loader.construct_document(node), node
            except (ValueError, AttributeError, KeyError, TypeError) as exc:
                self.unreadable(path, node, exc)
                return None, None
        finally:
            loader.dispose()

    def unreadable(self, path: Path, node, exc: Exception) -> None:
        """Report the values the YAML library failed to make (it says not where)."""
        found = list(yaml_guard.unreadable_scalars(node))
        for loc, bad in found:
            kind = bad.tag.rsplit(":", 1)[-1]
            written = f"'{bad.value}'"
            if len(bad.value) > 40:
                written = f"'{bad.value[:20]}...' ({len(bad.value):,} characters)"
            message = f"{written} cannot be read as {TAG_NAMES.get(kind, kind)}"
            if bad.tag == yaml_guard.TIMESTAMP_TAG:
                message = f"'{bad.value}' is not a real date (YYYY-MM-DD)"
            self.error(path, dotted(loc), message, bad.start_mark.line + 1)
        if not found:
            self.error(path, "", f"a value cannot be read: {exc}")

    def parse(self, model: type[BaseModel], data, nodes, path: Path):
        if not isinstance(data, dict):
            self.error(path, "", "expected a mapping of fields at the top level")
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            # A field the YAML checks reported already (a base-60 number ...): reported once.
            reported = {e.path for e in self.errors if e.file == self.shown(path)}
            for loc, errs in grouped(exc.errors()):
                if dotted(loc) in reported:
                    continue
                message = friendly(errs, loc, source_of(nodes, loc))
                self.error(path, dotted(loc), message, line_of(nodes, loc))
            return None

    def duplicates(self, path: Path, where: str, ids: list[str], line: int | None = None) -> None:
        for ident, count in Counter(ids).items():
            if count > 1:
                message = f"id '{ident}' is used {count} times; ids must be unique"
                self.error(path, where, message, line)


TAG_NAMES = {"int": "a whole number", "float": "a number", "bool": "true or false"}
# What the YAML library's complaint most often means in a module: a text that YAML reads as
# something else (modules/README.md, "Texts in two languages"), and how to write it.
QUOTE_IT = "put the whole text in double quotes, or write it with >- on the lines below"
YAML_HINTS = [
    ("tab character", "YAML indents with spaces only: replace the tab with spaces"),
    ("mapping values are not allowed", (
        "a colon and a space (': ') inside a text, or a line indented differently from the "
        f"lines around it: {QUOTE_IT}, or check the indentation"
    )),
    ("unexpected end of stream", "a quotation mark opened here is never closed"),
    ("cannot start any token", f"a text begins with @, ` or %: {QUOTE_IT}"),
    ("expected alphabetic or numeric character", f"a text begins with * or &: {QUOTE_IT}"),
    ("constructor for the tag", f"a text begins with !: {QUOTE_IT}"),
    ("block sequence entries are not allowed", f"a text begins with '- ': {QUOTE_IT}"),
    ("expected comment or line break", (
        f"a text begins with | or > on the line of its field, or goes on after a closing quote "
        f"or bracket: {QUOTE_IT}"
    )),
    ("did not find expected key", (
        f"a text begins with [ or {{, or goes on after a closing quotation mark: {QUOTE_IT} "
        '(a quotation mark inside it written \\")'
    )),
]  # fmt: skip


def yaml_syntax_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """The message and line of a YAML syntax error: the library's words, what they most
    likely mean, and the line where the trouble starts (an unclosed quotation mark is found at
    the end of the file, but opened where the text begins)."""
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    if "end of stream" in problem and getattr(exc, "context_mark", None) is not None:
        mark = exc.context_mark
    hint = next((hint for words, hint in YAML_HINTS if words in problem), None)
    message = f"YAML syntax error: {problem}" + (f" ({hint})" if hint else "")
    return message, mark.line + 1 if mark else None


def load_modules(folders: Iterable[Path]) -> Iterator[LoadResult]:
    """load_module for each folder, one at a time; folders that share a name (the slug) are
    refused, all of them: each would be stored as a new version of the same module."""
    folders = list(dict.fromkeys(Path(f).resolve() for f in folders))
    by_name: dict[str, list[Path]] = {}
    for folder in folders:
        by_name.setdefault(folder.name, []).append(folder)
    for folder in folders:
        result = load_module(folder)
        others = [other for other in by_name[folder.name] if other != folder]
        if others:
            check = _Checker(folder)
            message = (
                f"another module folder has the same slug '{folder.name}': "
                f"{', '.join(check.shown(o) for o in others)}; each module needs a slug of its own"
            )
            check.error(folder / "module.yaml", "slug", message)
            result.errors.extend(check.errors)
            result.package = None
        yield result


def load_module(folder: Path) -> LoadResult:
    folder = Path(folder)
    check = _Checker(folder)
    result = LoadResult(folder)
    manifest = folder / "module.yaml"
    problem = module_size_problem(folder)
    if problem:
        check.error(folder, "", problem)
        result.errors = check.errors
        return result
    if not manifest.is_file():
        check.error(manifest, "", missing_manifest(folder))
        result.errors = check.errors
        return result
    data, nodes = check.read_yaml(manifest)
    if nodes is None:  # unreadable: reported
        result.errors = check.errors
        return result
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, bool):  # true is no version: the schema reports what is expected
        version = None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        check.error(
            manifest,
            "schema_version",
            f"this module uses format version {version}, newer than this Trainer "
            f"understands ({SCHEMA_VERSION}); upgrade Trainer to load it",
            line_of(nodes, ["schema_version"]),
        )
        result.errors = check.errors
        return result
    if version != SCHEMA_VERSION and isinstance(version, int):
        message = (
            f"unknown format version {version}; this Trainer understands version "
            f"{SCHEMA_VERSION} (write `schema_version: {SCHEMA_VERSION}`)"
        )
        check.error(manifest, "schema_version", message, line_of(nodes, ["schema_version"]))
    meta = check.parse(ModuleMeta, data, nodes, manifest)
    # With a broken manifest, still check every lesson, quiz and scenario it names.
    outline = meta or lenient_outline(data)
    if meta is not None and meta.slug != folder.name:
        message = f"slug '{meta.slug}' must equal the folder name '{folder.name}'"
        check.error(manifest, "slug", message, line_of(nodes, ["slug"]))

    assets: dict[str, Asset] = {}
    lessons = _check_lessons(check, outline, assets, nodes)
    quizzes = _check_parts(check, outline, "quizzes", Quiz, _check_quiz)
    scenarios = _check_parts(check, outline, "scenarios", Scenario, check_scenario)
    check_imports(check, outline, scenarios)
    if meta is not None:
        _check_manifest_ids(check, meta, manifest, nodes)
        _check_manifest_values(check, meta, manifest, nodes)

    result.errors, result.warnings = check.errors, check.warnings
    if not check.errors:
        package = ModulePackage(meta, lessons, quizzes, scenarios, assets, content_hash(folder))
        result.package = package
    return result


MANIFEST_NAMES = ("module.yaml", "module.yml")


def misnamed_manifests(folder: Path) -> list[str]:
    """Files of the folder named as a manifest but for the case or the extension."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.name != "module.yaml" and p.name.lower() in MANIFEST_NAMES
    )


def missing_manifest(folder: Path) -> str:
    """Why a folder given as a module has no module.yaml, as far as its files tell."""
    misnamed = misnamed_manifests(folder) if folder.is_dir() else []
    if misnamed:
        return f"file not found; the manifest must be named module.yaml: rename {misnamed[0]}"
    inner = sorted(p.parent.name for p in folder.glob("*/module.yaml")) if folder.is_dir() else []
    if inner:
        example = f"{folder.name}/{inner[0]}"
        return (
            f"file not found: this is a folder of modules ({', '.join(inner[:5])}"
            f"{', ...' if len(inner) > 5 else ''}), not a module; name the module folders "
            f"(e.g. {example}), or none to check every module in modules/"
        )
    return "file not found: a module folder holds its module.yaml (see modules/README.md)"


@dataclass
class Outline:
    """The parts of a manifest that other files depend on, read from a manifest that failed."""

    lessons: list[LessonEntry]
    quizzes: list[PartEntry]
    scenarios: list[PartEntry]
    references: list[Reference]


def lenient_outline(data) -> Outline:
    if not isinstance(data, dict):  # a list or a scalar at the top level: reported
        data = {}

    def valid(key: str, model) -> list:
        items = data.get(key) if isinstance(data.get(key), list) else []
        parsed = []
        for item in items:
            with suppress(ValidationError):  # already reported against module.yaml
                parsed.append(model.model_validate(item))
        return parsed

    return Outline(
        valid("lessons", LessonEntry),
        valid("quizzes", PartEntry),
        valid("scenarios", PartEntry),
        outline_references(data.get("references")),
    )


def outline_references(items) -> list[Reference]:
    """The references of a manifest that failed, by id: a reference with a bad url or year is
    reported once, against module.yaml, and not again as an unknown id at every citation."""
    found = []
    for item in items if isinstance(items, list) else []:
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and re.fullmatch(ID_PATTERN, ident):
            found.append(Reference.model_construct(id=ident))
    return found


def _check_manifest_ids(check: _Checker, meta: ModuleMeta, manifest: Path, nodes) -> None:
    for name in ("lessons", "quizzes", "scenarios", "references"):
        ids = [item.id for item in getattr(meta, name)]
        check.duplicates(manifest, name, ids, line_of(nodes, [name]))
    rule = meta.completion
    lesson_ids = {lesson.id for lesson in meta.lessons}
    if rule.lessons != "all":
        for i, ident in enumerate(rule.lessons):
            if ident not in lesson_ids:
                path = ["completion", "lessons", i]
                check.error(
                    manifest, dotted(path), f"no lesson with id '{ident}'", line_of(nodes, path)
                )
    quiz_ids = {quiz.id for quiz in meta.quizzes}
    for i, requirement in enumerate(rule.quizzes):
        if requirement.id not in quiz_ids:
            path = ["completion", "quizzes", i, "id"]
            check.error(
                manifest, dotted(path), f"no quiz with id '{requirement.id}'", line_of(nodes, path)
            )
    scenario_ids = {scenario.id for scenario in meta.scenarios}
    for i, ident in enumerate(rule.scenarios):
        if ident not in scenario_ids:
            path = ["completion", "scenarios", i]
            check.error(
                manifest, dotted(path), f"no scenario with id '{ident}'", line_of(nodes, path)
            )
    if meta.certificate and meta.credit_hours <= 0:
        check.error(
            manifest, "credit_hours", "a module that issues certificates needs credit hours"
        )
    _check_completion_rule(check, rule, manifest, nodes)


def _check_completion_rule(check: _Checker, rule, manifest: Path, nodes) -> None:
    """Each requirement once, and at least one."""
    listed = {
        "lessons": [] if rule.lessons == "all" else list(rule.lessons),
        "quizzes": [q.id for q in rule.quizzes],
        "scenarios": list(rule.scenarios),
    }
    for name, ids in listed.items():
        line = line_of(nodes, ["completion", name])
        check.duplicates(manifest, f"completion.{name}", ids, line)
    if rule.lessons == [] and not rule.quizzes and not rule.scenarios:
        message = (
            "the rule requires nothing, so a learner would complete the module without "
            "opening it; list a lesson, quiz or scenario, or write `lessons: all`"
        )
        check.error(manifest, "completion", message, line_of(nodes, ["completion"]))


def _check_manifest_values(check: _Checker, meta: ModuleMeta, manifest: Path, nodes) -> None:
    """What the schema's types let through but makes no sense: a date no one checked the law
    on, a source without a title, a profession listed twice."""
    if meta.law_as_of is not None:
        latest = date.today() + timedelta(days=365)
        if not EARLIEST_LAW_AS_OF <= meta.law_as_of <= latest:
            message = (
                f"{meta.law_as_of.isoformat()} is not a plausible date of the last legal check; "
                f"write a date from {EARLIEST_LAW_AS_OF.isoformat()} to {latest.isoformat()} "
                "(a year from today)"
            )
            check.error(manifest, "law_as_of", message, line_of(nodes, ["law_as_of"]))
    for i, reference in enumerate(meta.references):
        for name in ("title", "author"):
            if blank(getattr(reference, name)):
                where = ["references", i, name]
                check.error(manifest, dotted(where), "empty text", line_of(nodes, where))
    twice = sorted(p.value for p, count in Counter(meta.audience).items() if count > 1)
    if twice:
        message = f"listed more than once: {', '.join(twice)}"
        check.error(manifest, "audience", message, line_of(nodes, ["audience"]))


def _check_lessons(check: _Checker, meta: ModuleMeta | Outline, assets: dict, nodes) -> dict:
    citation_numbers = {ref.id: n for n, ref in enumerate(meta.references, start=1)}
    lessons = {}
    for i, lesson in enumerate(meta.lessons):
        rendered = {"html": {}, "words": {}}
        if lesson.file.lower().endswith(".md"):
            stem = lesson.file[:-3].removesuffix(".ru").removesuffix(".en")
            message = (
                f"write the path without the language and .md: `file: {stem}` stands for "
                f"{stem}.ru.md and {stem}.en.md"
            )
            where = ["lessons", i, "file"]
            check.error(check.folder / "module.yaml", dotted(where), message, line_of(nodes, where))
            continue
        for lang in LANGS:
            path = check.folder / f"{lesson.file}.{lang}.md"
            if not _inside(check.folder, path) or not path.is_file():
                check.error(
                    check.folder / "module.yaml",
                    f"lessons[{i}].file",
                    f"{LANG_NAMES[lang]} text {lesson.file}.{lang}.md not found"
                    + case_hint(check.folder, path),
                    line_of(nodes, ["lessons", i, "file"]),
                )
                continue
            if check.too_big(path):
                continue
            try:
                # Notepad's "UTF-8 with BOM": the mark is no text (it broke the first heading).
                source = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                check.error(path, "", f"the {LANG_NAMES[lang]} lesson text is not UTF-8")
                continue
            if has_control_characters(source):
                message = "contains control characters (such as NUL) that text cannot hold"
                check.error(path, "", message)
            if not source.strip():
                check.error(path, "", f"the {LANG_NAMES[lang]} lesson text is empty")
            out = render_markdown(
                source,
                lang,
                citation_numbers,
                lambda p, base=path.parent: _asset(check, base, p, assets),
            )
            for problem in out.problems:
                check.error(path, "", problem)
            rendered["html"][lang], rendered["words"][lang] = out.html, out.words
        lessons[lesson.id] = rendered
    return lessons


def _asset(check: _Checker, base: Path, relative: str, assets: dict) -> str | None:
    if "://" in relative or relative.startswith("/"):
        raise AssetError("use a path relative to the lesson, to a file of the module")
    path = (base / relative).resolve()
    if not _inside(check.folder, path) or not path.exists():
        hint = case_hint(check.folder, path) if _inside(check.folder, path) else ""
        if hint:
            raise AssetError("file not found" + hint)
        return None
    if not path.is_file():
        raise AssetError("not a file")
    mime = mimetypes.guess_type(path.name)[0] or ""
    # SVG can carry scripts when served from our own origin: raster images only.
    if mime not in RASTER_IMAGES:
        raise AssetError("only PNG, JPEG, GIF and WebP images can be shown (not SVG or others)")
    if path.stat().st_size > MAX_ASSET_BYTES:
        raise AssetError("the file is larger than 5 MB")
    data = path.read_bytes()
    if image_type(data) is None:
        raise AssetError(
            "the file is not a PNG, JPEG, GIF or WebP image inside, whatever its name says "
            "(a renamed document or a web page saved as a picture?): save the picture again "
            "from an image editor"
        )
    asset = Asset(relative, image_type(data), data)
    assets[asset.sha256] = asset
    return asset_url(asset.sha256, relative)


def case_hint(folder: Path, path: Path) -> str:
    """For a file not found: the one of the folder whose name differs only in capitals
    (Diagram.PNG for diagram.png; Windows and macOS find it, the server does not)."""
    parent = path.parent
    if not parent.is_dir() or not _inside(folder, parent):
        return ""
    same = [p.name for p in parent.iterdir() if p.name.lower() == path.name.lower()]
    if not same:
        return ""
    return f"; there is {same[0]}: the capital and small letters of a name must match"


# The first bytes of each image format a lesson may show.
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def image_type(data: bytes) -> str | None:
    """The image format the bytes are in (served as such), or None if none of RASTER_IMAGES."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for sign, mime in IMAGE_SIGNATURES.items() if data.startswith(sign)), None)


def _inside(folder: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _check_parts(
    check: _Checker, meta: ModuleMeta | Outline, kind: str, model, extra_checks
) -> dict:
    parts = {}
    for entry in getattr(meta, kind):
        path = check.folder / entry.file
        if not _inside(check.folder, path):
            check.error(check.folder / "module.yaml", kind, f"{entry.file} is outside the module")
            continue
        data, nodes = check.read_yaml(path)
        if nodes is None:  # unreadable: reported
            continue
        part = check.parse(model, data, nodes, path)
        if part is None:
            continue
        extra_checks(check, meta, part, path, nodes)
        if part.id != entry.id:  # not stored under either id: nothing can find it by the other
            check.error(path, "id", f"id '{part.id}' differs from '{entry.id}' in module.yaml")
            continue
        parts[entry.id] = part
    return parts


def _check_quiz(check: _Checker, meta: ModuleMeta | Outline, quiz: Quiz, path: Path, nodes) -> None:
    check.duplicates(path, "questions", [q.id for q in quiz.questions])
    reference_ids = {ref.id for ref in meta.references}
    if quiz.draw and quiz.draw > len(quiz.questions):
        check.error(
            path, "draw", f"draws {quiz.draw} questions from a pool of {len(quiz.questions)}"
        )
    _check_sections(check, quiz, path, nodes)
    if quiz.attempts is None and quiz.show_answers == "after_submit":
        check.warn(
            path,
            "show_answers",
            "with unlimited attempts, showing the correct answers after every submission "
            "gives the whole pool away; use after_pass, or set `attempts` and use "
            "after_last_attempt",
            line_of(nodes, ["show_answers"]),
        )
    for i, question in enumerate(quiz.questions):
        where = ["questions", i]
        if question.reference and question.reference not in reference_ids:
            message = f"no reference with id '{question.reference}'"
            check.error(
                path, dotted([*where, "reference"]), message, line_of(nodes, [*where, "reference"])
            )
        if isinstance(question, ChoiceQuestion):
            check.duplicates(path, dotted([*where, "options"]), [o.id for o in question.options])
            correct = sum(o.correct for o in question.options)
            options = dotted([*where, "options"])
            if question.type == "single_choice" and correct != 1:
                message = f"needs exactly one correct option, has {correct}"
                check.error(path, options, message, line_of(nodes, where))
            if question.type == "multiple_choice" and correct < 1:
                check.error(
                    path, options, "needs at least one correct option", line_of(nodes, where)
                )
        if question.type == "short_text":
            _check_accepted(check, question, where, path, nodes)
        for name in ("pairs", "items"):
            if hasattr(question, name):
                check.duplicates(
                    path, dotted([*where, name]), [x.id for x in getattr(question, name)]
                )


def _check_accepted(check: _Checker, question, where: list, path: Path, nodes) -> None:
    """A blank accepted answer would give the points for an answer left blank."""
    for lang in LANGS:
        for j, answer in enumerate(getattr(question.accepted, lang)):
            if not answer.strip():
                loc = [*where, "accepted", lang, j]
                message = "an empty accepted answer would count a blank answer as correct"
                check.error(path, dotted(loc), message, line_of(nodes, loc))


def _check_sections(check: _Checker, quiz: Quiz, path: Path, nodes) -> None:
    """Sections divide the pool: each question in exactly one, each draw within its section,
    and a quiz-wide `draw` equal to the sum of the sections' draws."""
    if not quiz.sections:
        return
    check.duplicates(path, "sections", [s.id for s in quiz.sections])
    known = {q.id for q in quiz.questions}
    placed = Counter(qid for section in quiz.sections for qid in section.questions)
    for i, section in enumerate(quiz.sections):
        where = ["sections", i]
        unknown = [qid for qid in section.questions if qid not in known]
        if unknown:
            message = f"no question with id {', '.join(repr(q) for q in unknown)}"
            check.error(path, dotted([*where, "questions"]), message, line_of(nodes, where))
        if section.draw and section.draw > len(section.questions):
            message = f"draws {section.draw} questions from a section of {len(section.questions)}"
            check.error(path, dotted([*where, "draw"]), message, line_of(nodes, where))
    twice = sorted(qid for qid, count in placed.items() if count > 1 and qid in known)
    if twice:
        message = f"questions in more than one section: {', '.join(twice)}"
        check.error(path, "sections", message, line_of(nodes, ["sections"]))
    missing = [q.id for q in quiz.questions if q.id not in placed]
    if missing:
        message = f"questions in no section (every question needs one): {', '.join(missing)}"
        check.error(path, "sections", message, line_of(nodes, ["sections"]))
    total = quiz.per_attempt
    if quiz.draw is not None and quiz.draw != total:
        message = f"draw {quiz.draw} differs from the sections' draws, which add up to {total}"
        check.error(path, "draw", message, line_of(nodes, ["draw"]))


def module_size_problem(folder: Path) -> str | None:
    """Too many files or bytes in the folder, counted as content_hash reads them (hidden files
    and folders are not part of the module), before any file is read."""
    total = files = 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root, name)
            if name.startswith(".") or not path.is_file():
                continue
            files += 1
            if files > MAX_MODULE_FILES:
                return f"the module folder holds more than {MAX_MODULE_FILES:,} files, the limit"
            total += path.stat().st_size
    if total > MAX_MODULE_BYTES:
        return (
            f"the module's files add up to {megabytes(total)}, more than the limit of "
            f"{megabytes(MAX_MODULE_BYTES)} for a module"
        )
    return None


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# The union members pydantic names in an error's path (questions[3].essay.text, value.float).
UNION_TAGS = {*QUESTION_TYPES, *NODE_TYPES, "float", "bool", "str", "int", "constrained-float"}


def is_union_tag(part) -> bool:
    """A union member in an error's path: a name above, or a type pydantic spells out such as
    literal['all'] or list[constrained-str] (completion.lessons); no field name has a [."""
    return isinstance(part, str) and (part in UNION_TAGS or "[" in part)

EXPECTED = {
    "int_type": "a whole number without quotes (e.g. 10)",
    "float_type": "a number without quotes (e.g. 1.5)",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list (one item per line, each starting with `- `, or [a, b])",
}
# pydantic's errors for a value where a group of fields belongs (a mapping, in YAML).
MAPPING_TYPES = ("model_type", "model_attributes_type", "dict_type")
TEXT_EXPECTED = "a text in both languages (`ru: ...` and `en: ...` on the lines below)"
FIELDS_EXPECTED = "a group of fields written `name: value`, one per line"
CHOICE_TYPES = ("literal_error", "enum")
# A field's pattern, said as an author understands it (schema.py's patterns).
PATTERN_EXPECTED = {
    r"^[A-Za-z0-9_./-]+$": (
        "a path inside the module folder written with Latin letters, digits, `_`, `-`, `.` "
        "and `/` (e.g. lessons/01-intro)"
    ),
    r"^[A-Za-z0-9_./-]+\.ya?ml$": (
        "a path inside the module folder ending in .yaml or .yml, written with Latin letters, "
        "digits, `_`, `-`, `.` and `/` (e.g. quizzes/check.yaml)"
    ),
    r"^https?://\S+$": "a web address starting with http:// or https://, without spaces",
    IMPORT_SOURCE: "a scenario id, or a module slug and a scenario id: call or night-call/call",
}


ID_RULE = (
    "ids use lower-case Latin letters, digits and hyphens, start with a letter or digit and "
    "have at most 63 characters (e.g. night-call)"
)


def unseen_characters(value: str) -> str:
    """Characters of an id that look like allowed ones but are not: a Cyrillic о in 'intrо',
    a no-break space. The author sees nothing wrong without their names."""
    odd = [ch for ch in dict.fromkeys(value) if not ch.isascii() or ch in "\t\r\n"]
    if not odd:
        return ""
    named = ", ".join(f"'{ch}' ({unicodedata.name(ch, f'U+{ord(ch):04X}')})" for ch in odd[:3])
    return f", which contains {named}"


def expected_phrase(err: dict) -> str | None:
    """What the field accepts, for an error about the kind of value; None for other errors."""
    kind = err["type"]
    if kind in EXPECTED:
        return EXPECTED[kind]
    if kind in MAPPING_TYPES:
        is_text = (err.get("ctx") or {}).get("class_name") == "Text"
        return TEXT_EXPECTED if is_text else FIELDS_EXPECTED
    if kind in CHOICE_TYPES:
        choices = err["ctx"]["expected"]
        return choices if "," not in choices and " or " not in choices else f"one of {choices}"
    if kind == "string_pattern_mismatch":
        return PATTERN_EXPECTED.get(err["ctx"]["pattern"])
    return None


def grouped(errors: list[dict]) -> list[tuple[list, list[dict]]]:
    """pydantic's errors by field path, union tags dropped: a value that fits no member of
    `number | flag` is one problem, not one per member."""
    groups: dict[tuple, list[dict]] = {}
    for err in errors:
        loc = [p for p in err["loc"] if not is_union_tag(p)]
        groups.setdefault(tuple(loc), []).append(err)
    return [(list(loc), errs) for loc, errs in groups.items() if not outdone(loc, errs, groups)]


def outdone(loc: tuple, errs: list[dict], groups: dict) -> bool:
    """A union member's complaint about the whole value (`all` expected) when another member
    took the value and found a problem inside it (a list with a bad id): only that one counts."""
    from_union = all(any(is_union_tag(p) for p in err["loc"]) for err in errs)
    inside = [other for other in groups if len(other) > len(loc) and other[: len(loc)] == loc]
    return from_union and bool(inside)


def friendly(errs: list[dict], loc: list, source: str | None = None) -> str:
    """One message for the errors at one field; `source` is the value as written when YAML
    read it as something else than text."""
    types = [err["type"] for err in errs]
    value = errs[0]["input"]
    if "float_type" in types and type(value) is int:  # a whole number no float can hold
        return f"the number is too large; got {shown(value)}"
    if types == ["string_pattern_mismatch"] and errs[0]["ctx"]["pattern"] == ID_PATTERN:
        return f"{ID_RULE}; got {shown(value)}{unseen_characters(value)}"
    phrases = [expected_phrase(err) for err in errs]
    if all(phrases):
        got = shown(value)
        if source and source.lower() != got.lower():
            got = f"{source}, which YAML reads as {got} (put it in double quotes if it is a text)"
        if loc == ["schema_version"]:
            return (
                f"expected the format version as a whole number without quotes; this Trainer "
                f"understands version {SCHEMA_VERSION} (write `schema_version: "
                f"{SCHEMA_VERSION}`); got {got}"
            )
        return f"expected {' or '.join(dict.fromkeys(phrases))}; got {got}"
    # In a union, a value of the wrong kind for one member and out of range for another: the
    # range is what the author needs to hear.
    specific = [err for err in errs if expected_phrase(err) is None]
    return "; ".join(dict.fromkeys(one_message(err, loc) for err in specific))


CUT_TEXT_FIX = (
    "a comma ends a text written as {ru: ..., en: ...}; put a text that contains a comma "
    'in double quotes: {ru: "Да, это так", en: ...}'
)


def cut_text_message(key: str) -> str:
    """An unknown key with no value: often the rest of a text cut at a comma, as in
    `{ru: Да, это так, en: Yes}`, where YAML reads `это так` as a key. A key no field could be
    called (a space, Cyrillic) is certainly that; a Latin word may also be a misspelt field."""
    if key.isascii() and key.isidentifier():
        return f"unknown field: check the spelling, or, if it is the end of a text, {CUT_TEXT_FIX}"
    return f"not a field but the end of a text: {CUT_TEXT_FIX}"


def one_message(err: dict, loc: list) -> str:
    last = loc[-1] if loc else None
    kind = err["type"]
    if last in LANG_NAMES and kind == "missing":
        return f"missing {LANG_NAMES[last]} text"
    if last in LANG_NAMES and "empty text" in err["msg"]:
        return f"empty {LANG_NAMES[last]} text"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden" and err.get("input") is None and isinstance(last, str):
        return cut_text_message(last)
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind == "union_tag_invalid" and "nodes" in loc:
        return f"unknown node type; use one of: {', '.join(NODE_TYPES)}"
    if kind == "union_tag_invalid":
        return f"unknown question type; use one of: {', '.join(QUESTION_TYPES)}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "too_short" and (err.get("ctx") or {}).get("field_type") == "List":
        least = err["ctx"]["min_length"]
        items = "one item" if least == 1 else f"{least} items"
        return f"the list needs at least {items}; it has {err['ctx']['actual_length']}"
    if expected_phrase(err):
        return f"expected {expected_phrase(err)}; got {shown(err['input'])}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{err['msg']}; got {shown(err['input'])}"
    return err["msg"]
