"""Read a module folder, check everything, and report every problem with file, line and field.

`load_module(path)` is the one validator: the CLI, the sync and the tests all call it.
"""

import hashlib
import mimetypes
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from pydantic import BaseModel, ValidationError

from trainer.content.markdown import render_markdown
from trainer.content.schema import (
    NODE_TYPES,
    QUESTION_TYPES,
    SCHEMA_VERSION,
    ChoiceQuestion,
    DecisionNode,
    EndingNode,
    LessonEntry,
    ModuleMeta,
    PartEntry,
    Quiz,
    Reference,
    RulingNode,
    Scenario,
)
from trainer.learning.scenarios import expert_path, expert_stop, is_ending, node_of

LANGS = ("ru", "en")
LANG_NAMES = {"ru": "Russian", "en": "English"}
MAX_ASSET_BYTES = 5 * 1024 * 1024
RASTER_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@dataclass(frozen=True)
class ContentError:
    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


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


def asset_url(sha256: str, path: str) -> str:
    """Lesson HTML points at assets by content hash, relative to the lesson page."""
    return f"assets/{sha256}{PurePosixPath(path).suffix.lower()}"


class _Checker:
    def __init__(self, folder: Path):
        self.folder = folder
        self.errors: list[ContentError] = []

    def shown(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def error(self, path: Path, field_path: str, message: str, line: int | None = None) -> None:
        self.errors.append(ContentError(self.shown(path), field_path, message, line))

    def read_yaml(self, path: Path):
        """(data, node tree) or (None, None) after reporting why."""
        if not path.is_file():
            self.error(path, "", "file not found")
            return None, None
        try:
            text = path.read_text(encoding="utf-8")
            return yaml.safe_load(text), yaml.compose(text)
        except UnicodeDecodeError:
            self.error(path, "", "not UTF-8 text")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(path, "", f"YAML syntax error: {problem}", mark.line + 1 if mark else None)
        return None, None

    def parse(self, model: type[BaseModel], data, nodes, path: Path):
        if not isinstance(data, dict):
            self.error(path, "", "expected a mapping of fields at the top level")
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                # Drop the union tags pydantic puts in the path (questions[3].essay.text).
                loc = [p for p in err["loc"] if p not in QUESTION_TYPES + NODE_TYPES]
                self.error(path, dotted(loc), friendly(err, loc), line_of(nodes, loc))
            return None

    def duplicates(self, path: Path, where: str, ids: list[str]) -> None:
        for ident, count in Counter(ids).items():
            if count > 1:
                self.error(path, where, f"id '{ident}' is used {count} times; ids must be unique")


def load_module(folder: Path) -> LoadResult:
    folder = Path(folder)
    check = _Checker(folder)
    result = LoadResult(folder)
    manifest = folder / "module.yaml"
    data, nodes = check.read_yaml(manifest)
    if data is None:
        result.errors = check.errors
        return result
    version = data.get("schema_version") if isinstance(data, dict) else None
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
        check.error(manifest, "schema_version", f"unknown format version {version}")
    meta = check.parse(ModuleMeta, data, nodes, manifest)
    # With a broken manifest, still check every lesson, quiz and scenario it names.
    outline = meta or lenient_outline(data)
    if meta is not None and meta.slug != folder.name:
        message = f"slug '{meta.slug}' must equal the folder name '{folder.name}'"
        check.error(manifest, "slug", message, line_of(nodes, ["slug"]))

    assets: dict[str, Asset] = {}
    lessons = _check_lessons(check, outline, assets, nodes)
    quizzes = _check_parts(check, outline, "quizzes", Quiz, _check_quiz)
    scenarios = _check_parts(check, outline, "scenarios", Scenario, _check_scenario)
    if meta is not None:
        _check_manifest_ids(check, meta, manifest, nodes)

    result.errors = check.errors
    if not check.errors:
        package = ModulePackage(meta, lessons, quizzes, scenarios, assets, content_hash(folder))
        result.package = package
    return result


@dataclass
class Outline:
    """The parts of a manifest that other files depend on, read from a manifest that failed."""

    lessons: list[LessonEntry]
    quizzes: list[PartEntry]
    scenarios: list[PartEntry]
    references: list[Reference]


def lenient_outline(data: dict) -> Outline:
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
        valid("references", Reference),
    )


def _check_manifest_ids(check: _Checker, meta: ModuleMeta, manifest: Path, nodes) -> None:
    for name in ("lessons", "quizzes", "scenarios", "references"):
        check.duplicates(manifest, name, [item.id for item in getattr(meta, name)])
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


def _check_lessons(check: _Checker, meta: ModuleMeta | Outline, assets: dict, nodes) -> dict:
    citation_numbers = {ref.id: n for n, ref in enumerate(meta.references, start=1)}
    lessons = {}
    for i, lesson in enumerate(meta.lessons):
        rendered = {"html": {}, "words": {}}
        for lang in LANGS:
            path = check.folder / f"{lesson.file}.{lang}.md"
            if not _inside(check.folder, path) or not path.is_file():
                check.error(
                    check.folder / "module.yaml",
                    f"lessons[{i}].file",
                    f"{LANG_NAMES[lang]} text {lesson.file}.{lang}.md not found",
                    line_of(nodes, ["lessons", i, "file"]),
                )
                continue
            source = path.read_text(encoding="utf-8")
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
        return None
    path = (base / relative).resolve()
    if not _inside(check.folder, path) or not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or ""
    # SVG can carry scripts when served from our own origin: raster images only.
    if mime not in RASTER_IMAGES or path.stat().st_size > MAX_ASSET_BYTES:
        return None
    asset = Asset(relative, mime, path.read_bytes())
    assets[asset.sha256] = asset
    return asset_url(asset.sha256, relative)


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
        if data is None:
            continue
        part = check.parse(model, data, nodes, path)
        if part is None:
            continue
        if part.id != entry.id:
            check.error(path, "id", f"id '{part.id}' differs from '{entry.id}' in module.yaml")
        extra_checks(check, meta, part, path, nodes)
        parts[entry.id] = part
    return parts


def _check_quiz(check: _Checker, meta: ModuleMeta | Outline, quiz: Quiz, path: Path, nodes) -> None:
    check.duplicates(path, "questions", [q.id for q in quiz.questions])
    reference_ids = {ref.id for ref in meta.references}
    if quiz.draw and quiz.draw > len(quiz.questions):
        check.error(
            path, "draw", f"draws {quiz.draw} questions from a pool of {len(quiz.questions)}"
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
        for name in ("pairs", "items"):
            if hasattr(question, name):
                check.duplicates(
                    path, dotted([*where, name]), [x.id for x in getattr(question, name)]
                )


def _check_scenario(
    check: _Checker, meta: ModuleMeta | Outline, scenario: Scenario, path: Path, nodes
) -> None:
    """The scenario graph and everything its nodes name; one message per kind of problem,
    naming every offending node (modelled on oppia's exploration validation)."""
    ids = [node.id for node in scenario.nodes]
    check.duplicates(path, "nodes", ids)
    for name in ("variables", "rubric"):
        check.duplicates(path, name, [item.id for item in getattr(scenario, name)])
    for name in ("parties", "documents"):
        items = getattr(scenario.case_file, name)
        check.duplicates(path, f"case_file.{name}", [item.id for item in items])
    if scenario.start not in ids:
        check.error(path, "start", f"no node with id '{scenario.start}'", line_of(nodes, ["start"]))
    elif any(n.id == scenario.start and isinstance(n, EndingNode) for n in scenario.nodes):
        message = "a scenario cannot start at an ending"
        check.error(path, "start", message, line_of(nodes, ["start"]))
    report = _ScenarioReport(check, scenario, path, nodes)
    _check_graph(report, scenario)
    _check_names(report, scenario, {ref.id for ref in meta.references})
    _check_types(report, scenario)
    _check_rulings(report, scenario)
    _check_scenario_texts(report, scenario, [ref.id for ref in meta.references])
    _check_expert_path(report, scenario)


class _ScenarioReport:
    """Collects offending nodes per kind of problem and reports each kind once."""

    def __init__(self, check: _Checker, scenario: Scenario, path: Path, nodes):
        self.check, self.path, self.nodes = check, path, nodes
        self.index: dict[str, int] = {}
        for i, node in enumerate(scenario.nodes):
            self.index.setdefault(node.id, i)

    def __call__(self, problem: str, offenders: list[tuple[str, str | None]]) -> None:
        if not offenders:
            return
        named = ", ".join(f"{node} ({detail})" if detail else node for node, detail in offenders)
        where = ["nodes", self.index.get(offenders[0][0], 0)]
        self.check.error(self.path, "nodes", f"{problem}: {named}", line_of(self.nodes, where))


def _targets(node) -> list[tuple[str, str]]:
    """(where, target id) for each edge leaving the node."""
    if isinstance(node, DecisionNode):
        return [(f"choices[{c.id}].next", c.next) for c in node.choices]
    if isinstance(node, EndingNode):
        return []
    return [("next", node.next)]


def _check_graph(report: _ScenarioReport, scenario: Scenario) -> None:
    edges = {n.id: [t for _, t in _targets(n) if t in report.index] for n in scenario.nodes}
    report(
        "targets that do not exist",
        [
            (n.id, f"{where} → {target}")
            for n in scenario.nodes
            for where, target in _targets(n)
            if target not in report.index
        ],
    )
    if scenario.start in report.index:
        reached = _walk([scenario.start], edges)
        report(
            f"nodes not reachable from the start '{scenario.start}'",
            [(n, None) for n in report.index if n not in reached],
        )
    backwards: dict[str, list[str]] = {n: [] for n in edges}
    for source, targets in edges.items():
        for target in targets:
            backwards[target].append(source)
    endings = [n.id for n in scenario.nodes if isinstance(n, EndingNode)]
    stuck = [n for n in report.index if n not in _walk(endings, backwards)]
    looping = [n for n in stuck if n in _walk(edges[n], edges)]
    report("loops with no way out to an ending", [(n, None) for n in looping])
    report(
        "dead ends: no ending can be reached from",
        [(n, None) for n in stuck if n not in looping],
    )
    report(
        "every choice has a condition, so none may be offered",
        [
            (n.id, None)
            for n in scenario.nodes
            if isinstance(n, DecisionNode) and all(c.when for c in n.choices)
        ],
    )
    for n in scenario.nodes:
        if isinstance(n, DecisionNode):
            report.check.duplicates(
                report.path, f"nodes[{n.id}].choices", [c.id for c in n.choices]
            )


def _walk(starts: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(), list(starts)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, []))
    return seen


def _scored(node) -> list[tuple[str, object]]:
    """(where, item) for each choice, ruling option and band: the things that carry scores,
    feedback and a reference."""
    if isinstance(node, DecisionNode):
        return [(f"choice {c.id}", c) for c in node.choices]
    if isinstance(node, RulingNode):
        items = [(f"{f.id}: {o.id}", o) for f in node.fields for o in f.options]
        bands = [(f, i, b) for f in node.fields for i, b in enumerate(f.bands)]
        return items + [(f"{f.id}: band {i + 1}", b) for f, i, b in bands]
    return []


def _check_names(report: _ScenarioReport, scenario: Scenario, reference_ids: set[str]) -> None:
    variables = {v.id for v in scenario.variables}
    dimensions = {d.id for d in scenario.rubric}
    used_vars, used_dims, used_refs = [], [], []
    for node in scenario.nodes:
        for where, item in _scored(node):
            named = [w.var for w in getattr(item, "when", [])]
            named += [e.var for e in getattr(item, "effects", [])]
            used_vars += [(node.id, f"{where} uses '{v}'") for v in named if v not in variables]
            unknown = [d for d in item.scores if d not in dimensions]
            used_dims += [(node.id, f"{where} scores '{d}'") for d in unknown]
            if item.reference and item.reference not in reference_ids:
                used_refs.append((node.id, f"{where} cites '{item.reference}'"))
        if isinstance(node, EndingNode):
            missing = [r for r in node.debrief.references if r not in reference_ids]
            used_refs += [(node.id, f"debrief cites '{r}'") for r in missing]
    report("variables that are not declared under `variables`", used_vars)
    report("rubric dimensions that are not declared under `rubric`", used_dims)
    report("references that are not in module.yaml", used_refs)


def _check_types(report: _ScenarioReport, scenario: Scenario) -> None:
    """Flags hold true/false and numbers numbers; ordering compares numbers only."""
    kinds = {v.id: v.type for v in scenario.variables}
    report(
        "variables whose initial value does not fit their type",
        [(v.id, v.type) for v in scenario.variables if _mismatch(v.type, v.initial, True)],
    )
    conditions, effects = [], []
    for node in scenario.nodes:
        for where, item in _scored(node):
            for w in getattr(item, "when", []):
                kind = kinds.get(w.var)
                ordering = kind == "flag" and w.op not in ("==", "!=")
                if kind and (ordering or _mismatch(kind, w.value)):
                    conditions.append((node.id, f"{where}: {w.var} {w.op} {w.value}"))
            for e in getattr(item, "effects", []):
                if _bad_effect(kinds.get(e.var), e):
                    effects.append((node.id, f"{where}: {e.var}"))
    report("conditions that compare a flag with a number or a number with true/false", conditions)
    report("effects that need exactly one of `set` or `add`, fitting the variable's type", effects)


def _mismatch(kind: str, value, allow_zero: bool = False) -> bool:
    if kind == "flag":
        return not isinstance(value, bool) and not (allow_zero and value == 0)
    return isinstance(value, bool)


def _bad_effect(kind: str | None, effect) -> bool:
    if kind is None:
        return False  # reported as undeclared
    if (effect.set is None) == (effect.add is None):
        return True
    if effect.add is not None:
        return kind == "flag"
    return _mismatch(kind, effect.set)


def _check_rulings(report: _ScenarioReport, scenario: Scenario) -> None:
    shapes, experts, bands = [], [], []
    for node in scenario.nodes:
        if not isinstance(node, RulingNode):
            continue
        report.check.duplicates(
            report.path, f"nodes[{node.id}].fields", [f.id for f in node.fields]
        )
        for f in node.fields:
            shapes += [(node.id, f"{f.id}: {problem}") for problem in _field_shape(f)]
            if not _expert_fits(f):
                experts.append((node.id, f"{f.id}: {f.expert}"))
            if f.kind == "number" and f.min is not None and f.max is not None:
                outside = [b for b in f.bands if b.min > b.max or b.min < f.min or b.max > f.max]
                bands += [(node.id, f"{f.id}: {b.min}..{b.max}") for b in outside]
    report("ruling fields of the wrong shape", shapes)
    report("ruling `expert` values that are not an option or lie outside min..max", experts)
    report("ruling bands that are empty or lie outside the field's min..max", bands)


def _field_shape(f) -> list[str]:
    if f.kind == "choice":
        problems = [] if len(f.options) >= 2 else ["a choice field needs at least two options"]
        if f.bands or f.min is not None or f.max is not None:
            problems.append("a choice field has no min, max or bands")
        ids = [o.id for o in f.options]
        return problems + (["option ids repeat"] if len(ids) != len(set(ids)) else [])
    if f.min is None or f.max is None or f.min >= f.max:
        return ["a number field needs min below max"]
    if f.step <= 0:
        return ["step must be positive"]
    return ["a number field has no options"] if f.options else []


def _expert_fits(f) -> bool:
    if f.expert is None:
        return True
    if f.kind == "choice":
        return any(o.id == f.expert for o in f.options)
    if isinstance(f.expert, str) or f.min is None or f.max is None:
        return False
    return f.min <= f.expert <= f.max


def _check_expert_path(report: _ScenarioReport, scenario: Scenario) -> None:
    """Scores are measured against the expert path, so it must reach an ending."""
    edges = [t for n in scenario.nodes for _, t in _targets(n)]
    if any(t not in report.index for t in [scenario.start, *edges]):
        return  # reported as targets that do not exist
    steps = expert_path(scenario)
    stop = expert_stop(scenario, steps)
    if not is_ending(node_of(scenario, stop)):
        report(
            "the expert path (`expert: true` choices, rulings' `expert` values) does not reach "
            "an ending; it stops at",
            [(stop, "no expert choice is offered there, or the path would loop")],
        )


def _check_scenario_texts(report: _ScenarioReport, scenario: Scenario, reference_ids: list) -> None:
    """Scene texts and exhibits are Markdown: report what the renderer would drop."""
    numbers = {ident: n for n, ident in enumerate(reference_ids, start=1)}
    texts = [(n.id, n.text) for n in scenario.nodes]
    texts += [(f"case_file.documents[{d.id}]", d.body) for d in scenario.case_file.documents]
    problems = []
    for owner, text in texts:
        for lang in LANGS:
            out = render_markdown(text.get(lang), lang, numbers, lambda _path: None)
            problems += [(owner, f"{LANG_NAMES[lang]}: {p}") for p in out.problems]
    report("Markdown problems", problems)


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def dotted(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def friendly(err: dict, loc: list) -> str:
    last = loc[-1] if loc else None
    kind = err["type"]
    if last in LANG_NAMES and kind == "missing":
        return f"missing {LANG_NAMES[last]} text"
    if last in LANG_NAMES and "empty text" in err["msg"]:
        return f"empty {LANG_NAMES[last]} text"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind == "union_tag_invalid":
        return f"unknown question type; use one of: {', '.join(QUESTION_TYPES)}"
    if kind == "string_pattern_mismatch" and last in ("id", "slug"):
        return "ids use lower-case Latin letters, digits and hyphens (e.g. night-call)"
    return err["msg"]


def line_of(nodes, loc) -> int | None:
    """The 1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    node, line = nodes, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if k.value == part), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line
