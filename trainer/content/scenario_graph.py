"""What a scenario means, as plain functions over a parsed Scenario: its nodes and edges, how
conditions and effects change the variables, how choices and ruling values score, and the
expert path. The validator (trainer/content/validate.py, scenario_check.py) and the engine
(trainer/learning/scenarios.py) both stand on this floor; it imports neither of them.

A step of a path is a plain dict: {"node": id, "kind": "narrative" | "choice" | "ruling",
"choice": id (choices), "values": {field id: option id or number} (rulings),
"scores": {dimension id: points}}.
"""

from collections.abc import Iterable, Mapping

from trainer.content.schema import (
    Choice,
    Condition,
    DecisionNode,
    Effect,
    EndingNode,
    NarrativeNode,
    NumericBand,
    RulingField,
    RulingNode,
    RulingOption,
    Scenario,
)

Variables = dict[str, float | bool]
Scores = dict[str, float]


class ScenarioError(Exception):
    """An act that the scenario does not allow at this point (a tampered or stale request)."""


# Nodes and edges -------------------------------------------------------------------------


def node_of(scenario: Scenario, node_id: str):
    node = next((n for n in scenario.nodes if n.id == node_id), None)
    if node is None:
        raise ScenarioError(f"no node '{node_id}'")
    return node


def is_ending(node) -> bool:
    return isinstance(node, EndingNode)


def targets(node) -> list[tuple[str, str]]:
    """(where, target id) for each edge leaving the node."""
    if isinstance(node, DecisionNode):
        return [(f"choices[{c.id}].next", c.next) for c in node.choices]
    if isinstance(node, EndingNode):
        return []
    return [("next", node.next)]


# Variables, conditions and effects -------------------------------------------------------


def initial_variables(scenario: Scenario) -> Variables:
    return {
        v.id: (bool(v.initial) if v.type == "flag" else float(v.initial))
        for v in scenario.variables
    }


def imported_names(scenario: Scenario) -> list[str]:
    return list(scenario.imports.variables) if scenario.imports else []


def start_variables(scenario: Scenario, imported: Mapping | None = None) -> Variables:
    """The variables a run starts with: the declared initial values, with the imported
    variables taken from `imported` where it holds a value of the right type (else the
    default). Other keys of `imported` are ignored."""
    variables = initial_variables(scenario)
    kinds = {v.id: v.type for v in scenario.variables}
    for name in imported_names(scenario):
        value = (imported or {}).get(name)
        if name in kinds and _fits(kinds[name], value):
            variables[name] = bool(value) if kinds[name] == "flag" else float(value)
    return variables


def _fits(kind: str, value) -> bool:
    if kind == "flag":
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_start(scenario: Scenario, state: Mapping) -> Variables:
    """The variables a run started with, from its state now: imported variables never
    change in a run (the validator forbids effects on them), so the state still holds them."""
    return start_variables(scenario, state)


def shown_documents(scenario: Scenario, variables: Mapping) -> list:
    """The case file's exhibits whose `when` conditions all hold."""
    return [d for d in scenario.case_file.documents if all(holds(w, variables) for w in d.when)]


COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def holds(condition: Condition, variables: Variables) -> bool:
    return COMPARE[condition.op](variables.get(condition.var, 0), condition.value)


def offered_choices(node: DecisionNode, variables: Variables) -> list[Choice]:
    """The choices whose conditions all hold, in the author's order."""
    return [c for c in node.choices if all(holds(w, variables) for w in c.when)]


def apply_effects(effects: Iterable[Effect], variables: Variables) -> Variables:
    """A new dict: `set` replaces a value, `add` adds to a number."""
    result = dict(variables)
    for effect in effects:
        if effect.set is not None:
            result[effect.var] = effect.set
        if effect.add is not None:
            result[effect.var] = float(result.get(effect.var, 0)) + effect.add
    return result


def frozen(variables: Variables) -> tuple:
    """The variables as a hashable key, for sets of states."""
    return tuple(sorted(variables.items()))


# Scores ----------------------------------------------------------------------------------


def add_scores(*deltas: Mapping[str, float]) -> Scores:
    totals: Scores = {}
    for delta in deltas:
        for dimension, points in delta.items():
            totals[dimension] = totals.get(dimension, 0) + points
    return totals


def path_scores(path: Iterable[dict]) -> Scores:
    return add_scores(*(step.get("scores", {}) for step in path))


def chosen_option(ruling_field: RulingField, value) -> RulingOption | None:
    return next((o for o in ruling_field.options if o.id == value), None)


def band_of(ruling_field: RulingField, value) -> NumericBand | None:
    """The first band that holds the value (bands may share a boundary)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return next((b for b in ruling_field.bands if b.min <= value <= b.max), None)


def value_scores(ruling_field: RulingField, value) -> Scores:
    scored = (
        chosen_option(ruling_field, value)
        if ruling_field.kind == "choice"
        else band_of(ruling_field, value)
    )
    return dict(scored.scores) if scored else {}


def scored_before(path: Iterable[dict], node_id: str, choice_id: str | None = None) -> bool:
    """Whether the path already holds this choice (or, without a choice, this ruling)."""
    return any(
        step["node"] == node_id and step.get("choice") == choice_id
        for step in path
        if step["kind"] in ("choice", "ruling")
    )


def choice_step(node: DecisionNode, choice: Choice, path: Iterable[dict] = ()) -> dict:
    """The step of a choice; a `points_once` choice scores only the first time in a run."""
    once = choice.points_once and scored_before(path, node.id, choice.id)
    return {
        "node": node.id,
        "kind": "choice",
        "choice": choice.id,
        "scores": {} if once else dict(choice.scores),
    }


def ruling_step(node: RulingNode, values: Mapping, path: Iterable[dict] = ()) -> dict:
    """The step of a ruling; a `points_once` ruling scores only the first time in a run."""
    fields = [f for f in node.fields if f.id in values]
    scores = add_scores(*(value_scores(f, values[f.id]) for f in fields))
    if node.points_once and scored_before(path, node.id):
        scores = {}
    return {"node": node.id, "kind": "ruling", "values": dict(values), "scores": scores}


# The expert path -------------------------------------------------------------------------

MAX_EXPERT_STEPS = 1000  # a backstop for loops whose counters keep changing


def expert_path(scenario: Scenario, start: Variables | None = None) -> list[dict]:
    """The steps an experienced professional takes from `start` (by default the initial
    variables): narratives go on, decisions take the first
    offered `expert: true` choice, rulings take each field's `expert` value. Stops at an ending,
    at a decision with no offered expert choice, or when it would loop: the walk is
    deterministic, so meeting a node again with the same variables means it would never end."""
    steps, node_id, seen = [], scenario.start, set()
    variables = dict(start) if start is not None else initial_variables(scenario)
    while len(steps) < MAX_EXPERT_STEPS:
        state = (node_id, frozen(variables))
        if state in seen:
            break
        seen.add(state)
        move = _expert_move(node_of(scenario, node_id), variables, steps)
        if move is None:
            break
        step, variables, node_id = move
        steps.append(step)
    return steps


def _expert_move(node, variables: Variables, path: list[dict]):
    """(step, variables, next node id), or None where the expert path stops."""
    if isinstance(node, NarrativeNode):
        return {"node": node.id, "kind": "narrative", "scores": {}}, dict(variables), node.next
    if isinstance(node, DecisionNode):
        expert = next((c for c in offered_choices(node, variables) if c.expert), None)
        if expert is None:
            return None
        step = choice_step(node, expert, path)
        return step, apply_effects(expert.effects, variables), expert.next
    if isinstance(node, RulingNode):
        values = {f.id: f.expert for f in node.fields if f.expert is not None}
        return ruling_step(node, values, path), dict(variables), node.next
    return None


def expert_stop(scenario: Scenario, steps: list[dict]) -> str:
    """The node where the expert path ends: an ending, or where it got stuck."""
    if not steps:
        return scenario.start
    last, step = node_of(scenario, steps[-1]["node"]), steps[-1]
    if isinstance(last, DecisionNode):
        return next(c.next for c in last.choices if c.id == step["choice"])
    return last.next


def expert_ending(scenario: Scenario, steps: list[dict]) -> str | None:
    """The ending the expert path leads to, if it reaches one."""
    stop = expert_stop(scenario, steps)
    return stop if is_ending(node_of(scenario, stop)) else None
