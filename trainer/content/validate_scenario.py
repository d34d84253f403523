"""Checking a scenario: its graph, the names its nodes use, variable types, ruling forms,
Markdown, the expert path, and the states a run can reach (trainer/content/scenario_check.py).

Each kind of problem is reported once, naming every offending node (modelled on oppia's
exploration validation).
"""

from pathlib import Path

from trainer.content import scenario_check
from trainer.content.markdown import render_markdown
from trainer.content.report import LANG_NAMES, LANGS, line_of
from trainer.content.scenario_graph import (
    expert_path,
    expert_stop,
    imported_names,
    is_ending,
    node_of,
    targets,
)
from trainer.content.schema import DecisionNode, EndingNode, RulingNode, Scenario


def check_scenario(check, meta, scenario: Scenario, path: Path, nodes) -> None:
    """`check` is the validator's collector (error, warn, duplicates); `meta` gives the
    module's references."""
    ids = [node.id for node in scenario.nodes]
    check.duplicates(path, "nodes", ids)
    for name in ("variables", "rubric"):
        check.duplicates(path, name, [item.id for item in getattr(scenario, name)])
    for name in ("parties", "documents"):
        items = getattr(scenario.case_file, name)
        check.duplicates(path, f"case_file.{name}", [item.id for item in items])
    before = len(check.errors)  # a missing start counts: the states are walked from it
    if scenario.start not in ids:
        check.error(path, "start", f"no node with id '{scenario.start}'", line_of(nodes, ["start"]))
    elif any(n.id == scenario.start and isinstance(n, EndingNode) for n in scenario.nodes):
        message = "a scenario cannot start at an ending"
        check.error(path, "start", message, line_of(nodes, ["start"]))
    report = _ScenarioReport(check, scenario, path, nodes)
    _check_graph(report, scenario)
    graph_sound = len(check.errors) == before
    _check_names(report, scenario, {ref.id for ref in meta.references})
    _check_types(report, scenario)
    _check_rulings(report, scenario)
    _check_scenario_texts(report, scenario, [ref.id for ref in meta.references])
    if scenario.imports is not None:
        return  # its expert path and states depend on the source: validate_imports.py
    _check_expert_path(report, scenario)
    if graph_sound:  # the states of a broken graph would repeat what the graph checks said
        _check_states(report, scenario)


class _ScenarioReport:
    """Collects offending nodes per kind of problem and reports each kind once."""

    def __init__(self, check, scenario: Scenario, path: Path, nodes):
        self.check, self.path, self.nodes = check, path, nodes
        self.index: dict[str, int] = {}
        for i, node in enumerate(scenario.nodes):
            self.index.setdefault(node.id, i)

    def __call__(
        self, problem: str, offenders: list[tuple[str, str | None]], warning: bool = False
    ) -> None:
        if not offenders:
            return
        named = ", ".join(f"{node} ({detail})" if detail else node for node, detail in offenders)
        where = ["nodes", self.index.get(offenders[0][0], 0)]
        say = self.check.warn if warning else self.check.error
        say(self.path, "nodes", f"{problem}: {named}", line_of(self.nodes, where))


def _check_graph(report: _ScenarioReport, scenario: Scenario) -> None:
    edges = {n.id: [t for _, t in targets(n) if t in report.index] for n in scenario.nodes}
    report(
        "targets that do not exist",
        [
            (n.id, f"{where} → {target}")
            for n in scenario.nodes
            for where, target in targets(n)
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
    for source, ends in edges.items():
        for target in ends:
            backwards[target].append(source)
    endings = [n.id for n in scenario.nodes if isinstance(n, EndingNode)]
    stuck = [n for n in report.index if n not in _walk(endings, backwards)]
    looping = [n for n in stuck if n in _walk(edges[n], edges)]
    report("loops with no way out to an ending", [(n, None) for n in looping])
    report(
        "dead ends: no ending can be reached from",
        [(n, None) for n in stuck if n not in looping],
    )
    # Whether a condition leaves a decision without choices depends on the state a run
    # arrives in: _check_states reports it, with the path that leads there.
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
    for doc in scenario.case_file.documents:
        used_vars += [
            (f"case_file.documents[{doc.id}]", f"when uses '{w.var}'")
            for w in doc.when
            if w.var not in variables
        ]
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
    for doc in scenario.case_file.documents:
        conditions += [
            (f"case_file.documents[{doc.id}]", f"when: {w.var} {w.op} {w.value}")
            for w in doc.when
            if _bad_condition(kinds.get(w.var), w)
        ]
    for node in scenario.nodes:
        for where, item in _scored(node):
            for w in getattr(item, "when", []):
                if _bad_condition(kinds.get(w.var), w):
                    conditions.append((node.id, f"{where}: {w.var} {w.op} {w.value}"))
            for e in getattr(item, "effects", []):
                if _bad_effect(kinds.get(e.var), e):
                    effects.append((node.id, f"{where}: {e.var}"))
    report("conditions that compare a flag with a number or a number with true/false", conditions)
    report("effects that need exactly one of `set` or `add`, fitting the variable's type", effects)


def _bad_condition(kind: str | None, condition) -> bool:
    ordering = kind == "flag" and condition.op not in ("==", "!=")
    return bool(kind) and (ordering or _mismatch(kind, condition.value))


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
    return ["a number field has no options"] if f.options else []


def _expert_fits(f) -> bool:
    if f.expert is None:
        return True
    if f.kind == "choice":
        return any(o.id == f.expert for o in f.options)
    if isinstance(f.expert, str) or f.min is None or f.max is None:
        return False
    return f.min <= f.expert <= f.max


def _check_expert_path(report: _ScenarioReport, scenario: Scenario, start=None) -> None:
    """Scores are measured against the expert path, so it must reach an ending (from every
    `start` a run may have: an importing scenario's is checked from each)."""
    edges = [t for n in scenario.nodes for _, t in targets(n)]
    if any(t not in report.index for t in [scenario.start, *edges]):
        return  # reported as targets that do not exist
    steps = expert_path(scenario, start)
    stop = expert_stop(scenario, steps)
    if not is_ending(node_of(scenario, stop)):
        imported = {k: v for k, v in (start or {}).items() if k in imported_names(scenario)}
        detail = "no expert choice is offered there, or the path would loop"
        if imported:
            shown = ", ".join(f"{k}={scenario_check._shown(v)}" for k, v in imported.items())
            detail += f"; starting with {shown}"
        report(
            "the expert path (`expert: true` choices, rulings' `expert` values) does not reach "
            "an ending; it stops at",
            [(stop, detail)],
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


def _check_states(report: _ScenarioReport, scenario: Scenario, starts=None) -> None:
    """Walk every state a run can reach; see trainer/content/scenario_check.py."""
    found = scenario_check.check(scenario, starts)
    limit = scenario.loop_limit
    if found.too_many_states:
        report(
            f"more than {scenario_check.MAX_STATES} states to check; lower `loop_limit` "
            f"(now {limit})",
            [(scenario.start, None)],
        )
    report(
        "states where no choice is offered (every choice's condition is false)",
        [(f.node, f.detail) for f in found.no_choice],
    )
    report(
        f"states from which no ending can be reached (following each loop at most {limit} "
        "times; raise `loop_limit` if the way out needs more)",
        [(f.node, f.detail) for f in found.no_ending],
    )
    report(
        "choices that score again each time a run goes round a loop; "
        "cap them with `points_once: true`",
        [(f.node, f.detail) for f in found.repeatable],
        warning=True,
    )
