"""The scenario engine: plain functions over a parsed Scenario and plain JSON-able data.

A run's state is its current node id and its variables ({id: number or flag}). Each act — going
on from a narrative, making a choice, submitting a ruling — returns an Outcome: the new
variables, the next node and one step for the run's path. A step is a plain dict:
{"node": id, "kind": "narrative" | "choice" | "ruling", "choice": id (choices),
"values": {field id: option id or number} (rulings), "scores": {dimension id: points}}.
Texts are not copied into steps: the debrief looks them up in the pinned module version.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import isclose, isfinite

from trainer.content.markdown import render_markdown
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


class ChoiceNotOffered(ScenarioError):
    """The choice does not exist at this node, or its condition is false."""


class WrongAct(ScenarioError):
    """The act does not fit the node: a choice at a ruling, a ruling at an ending ..."""


class RulingInvalid(ScenarioError):
    """Some ruling values are missing or out of range; `errors` maps field ids to a code:
    missing, unknown-option, not-a-number, out-of-range or off-step."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Outcome:
    variables: Variables
    next_node: str
    step: dict


# Nodes, conditions and effects ------------------------------------------------------------


def node_of(scenario: Scenario, node_id: str):
    node = next((n for n in scenario.nodes if n.id == node_id), None)
    if node is None:
        raise ScenarioError(f"no node '{node_id}'")
    return node


def is_ending(node) -> bool:
    return isinstance(node, EndingNode)


def initial_variables(scenario: Scenario) -> Variables:
    return {
        v.id: (bool(v.initial) if v.type == "flag" else float(v.initial))
        for v in scenario.variables
    }


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


# Acts ------------------------------------------------------------------------------------


def go_on(node, variables: Variables) -> Outcome:
    """Leave a narrative node for its next node."""
    if not isinstance(node, NarrativeNode):
        raise WrongAct(f"node '{node.id}' is not a narrative")
    return Outcome(dict(variables), node.next, {"node": node.id, "kind": "narrative", "scores": {}})


def apply_choice(node, variables: Variables, choice_id: str) -> Outcome:
    if not isinstance(node, DecisionNode):
        raise WrongAct(f"node '{node.id}' is not a decision")
    choice = next((c for c in offered_choices(node, variables) if c.id == choice_id), None)
    if choice is None:
        raise ChoiceNotOffered(f"choice '{choice_id}' is not offered at '{node.id}'")
    step = {"node": node.id, "kind": "choice", "choice": choice.id, "scores": dict(choice.scores)}
    return Outcome(apply_effects(choice.effects, variables), choice.next, step)


def submit_ruling(node, variables: Variables, raw: Mapping[str, str]) -> Outcome:
    """Check every field (all errors at once), then score each value."""
    if not isinstance(node, RulingNode):
        raise WrongAct(f"node '{node.id}' is not a ruling")
    values, errors = {}, {}
    for ruling_field in node.fields:
        value, error = parse_value(ruling_field, raw.get(ruling_field.id))
        if error:
            errors[ruling_field.id] = error
        else:
            values[ruling_field.id] = value
    if errors:
        raise RulingInvalid(errors)
    scores = add_scores(*(value_scores(f, values[f.id]) for f in node.fields))
    step = {"node": node.id, "kind": "ruling", "values": values, "scores": scores}
    return Outcome(dict(variables), node.next, step)


def parse_value(
    ruling_field: RulingField, raw: str | None
) -> tuple[str | float | None, str | None]:
    """(value, None) or (None, error code)."""
    raw = (raw or "").strip()
    if not raw:
        return None, "missing"
    if ruling_field.kind == "choice":
        known = any(o.id == raw for o in ruling_field.options)
        return (raw, None) if known else (None, "unknown-option")
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        return None, "not-a-number"
    low, high = ruling_field.min, ruling_field.max
    if (
        not isfinite(number)
        or (low is not None and number < low)
        or (high is not None and number > high)
    ):
        return None, "out-of-range"
    steps = (number - (low or 0)) / ruling_field.step
    if not isclose(steps, round(steps), abs_tol=1e-9):
        return None, "off-step"
    return number, None


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


def act(
    scenario: Scenario,
    node_id: str,
    variables: Variables,
    choice: str | None,
    ruling: Mapping[str, str],
) -> Outcome:
    """Dispatch by node type: what the player's one POST does."""
    node = node_of(scenario, node_id)
    if isinstance(node, NarrativeNode):
        return go_on(node, variables)
    if isinstance(node, DecisionNode):
        return apply_choice(node, variables, choice or "")
    if isinstance(node, RulingNode):
        return submit_ruling(node, variables, ruling)
    raise WrongAct(f"the run has ended at '{node.id}'")


# Scoring and the debrief -------------------------------------------------------------------


def add_scores(*deltas: Mapping[str, float]) -> Scores:
    totals: Scores = {}
    for delta in deltas:
        for dimension, points in delta.items():
            totals[dimension] = totals.get(dimension, 0) + points
    return totals


def path_scores(path: Iterable[dict]) -> Scores:
    return add_scores(*(step.get("scores", {}) for step in path))


def percent(learner: Scores, expert: Scores) -> int:
    """Learner total over expert total, as a whole percent in 0..100."""
    expert_total = sum(expert.values())
    if expert_total <= 0:
        return 0
    return max(0, min(100, round(100 * sum(learner.values()) / expert_total)))


MAX_EXPERT_STEPS = 1000  # a backstop for loops whose counters keep changing


def expert_path(scenario: Scenario) -> list[dict]:
    """The steps an experienced professional takes: narratives go on, decisions take the first
    offered `expert: true` choice, rulings take each field's `expert` value. Stops at an ending,
    at a decision with no offered expert choice, or when it would loop: the walk is
    deterministic, so meeting a node again with the same variables means it would never end."""
    steps, variables, node_id, seen = [], initial_variables(scenario), scenario.start, set()
    while len(steps) < MAX_EXPERT_STEPS:
        state = (node_id, tuple(sorted(variables.items())))
        if state in seen:
            break
        seen.add(state)
        outcome = _expert_act(node_of(scenario, node_id), variables)
        if outcome is None:
            break
        steps.append(outcome.step)
        variables, node_id = outcome.variables, outcome.next_node
    return steps


def _expert_act(node, variables: Variables) -> Outcome | None:
    if isinstance(node, NarrativeNode):
        return go_on(node, variables)
    if isinstance(node, DecisionNode):
        expert = next((c for c in offered_choices(node, variables) if c.expert), None)
        return apply_choice(node, variables, expert.id) if expert else None
    if isinstance(node, RulingNode):
        values = {f.id: f.expert for f in node.fields if f.expert is not None}
        scores = add_scores(*(value_scores(f, values[f.id]) for f in node.fields if f.id in values))
        step = {"node": node.id, "kind": "ruling", "values": values, "scores": scores}
        return Outcome(dict(variables), node.next, step)
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


@dataclass(frozen=True)
class FieldView:
    field: RulingField
    value: str | float | None
    option: RulingOption | None
    band: NumericBand | None

    @property
    def scored(self) -> RulingOption | NumericBand | None:
        return self.option or self.band


@dataclass(frozen=True)
class StepView:
    node: object
    kind: str
    choice: Choice | None
    fields: list[FieldView]
    scores: Scores


@dataclass(frozen=True)
class DimensionResult:
    id: str
    title: object  # Text
    learner: float
    expert: float


@dataclass
class DebriefData:
    ending: EndingNode | None
    steps: list[StepView]
    expert_steps: list[StepView]
    expert_ending: EndingNode | None
    dimensions: list[DimensionResult]
    percent: int
    references: list[str] = field(default_factory=list)


def step_view(scenario: Scenario, step: dict) -> StepView:
    node = node_of(scenario, step["node"])
    choice = None
    if step["kind"] == "choice":
        choice = next(c for c in node.choices if c.id == step["choice"])
    fields = []
    if step["kind"] == "ruling":
        values = step.get("values", {})
        for f in node.fields:
            value = values.get(f.id)
            fields.append(
                FieldView(
                    f,
                    value,
                    chosen_option(f, value),
                    band_of(f, value) if f.kind == "number" else None,
                )
            )
    return StepView(node, step["kind"], choice, fields, step.get("scores", {}))


def debrief(scenario: Scenario, path: list[dict], ending_id: str | None) -> DebriefData:
    """Everything the debrief page shows, for a run's path (finished or not)."""
    expert = expert_path(scenario)
    learner_scores, expert_scores = path_scores(path), path_scores(expert)
    dimensions = [
        DimensionResult(d.id, d.title, learner_scores.get(d.id, 0), expert_scores.get(d.id, 0))
        for d in scenario.rubric
    ]
    steps = [step_view(scenario, s) for s in path]
    expert_steps = [step_view(scenario, s) for s in expert]
    ending = node_of(scenario, ending_id) if ending_id else None
    expert_end = expert_ending(scenario, expert)
    return DebriefData(
        ending=ending if is_ending(ending) else None,
        steps=steps,
        expert_steps=expert_steps,
        expert_ending=node_of(scenario, expert_end) if expert_end else None,
        dimensions=dimensions,
        percent=percent(learner_scores, expert_scores),
        references=cited(ending if is_ending(ending) else None, steps + expert_steps),
    )


def cited(ending: EndingNode | None, steps: list[StepView]) -> list[str]:
    """Reference ids in order of first mention: the ending's debrief, then the steps'."""
    ids = list(ending.debrief.references) if ending else []
    for step in steps:
        if step.choice and step.choice.reference:
            ids.append(step.choice.reference)
        ids += [f.scored.reference for f in step.fields if f.scored and f.scored.reference]
    return list(dict.fromkeys(ids))


# The class view: how a cohort decided ----------------------------------------------------


@dataclass
class Tally:
    runs: int = 0
    choices: Counter = field(default_factory=Counter)  # (node id, choice id) -> runs
    options: Counter = field(default_factory=Counter)  # (node id, field id, option id) -> runs
    bands: Counter = field(default_factory=Counter)  # (node id, field id, band index or -1) -> runs
    reached: Counter = field(default_factory=Counter)  # node id -> runs that acted there

    def choice(self, node_id: str, choice_id: str) -> int:
        return self.choices[node_id, choice_id]

    def option(self, node_id: str, field_id: str, option_id: str) -> int:
        return self.options[node_id, field_id, option_id]

    def band(self, node_id: str, field_id: str, index: int) -> int:
        return self.bands[node_id, field_id, index]


def tally(scenario: Scenario, paths: Iterable[list[dict]]) -> Tally:
    """Counts over runs' paths. A run that visits a node twice counts once per visit."""
    fields = {
        (n.id, f.id): f for n in scenario.nodes if isinstance(n, RulingNode) for f in n.fields
    }
    result = Tally()
    for path in paths:
        result.runs += 1
        for step in path:
            result.reached[step["node"]] += 1
            if step["kind"] == "choice":
                result.choices[step["node"], step["choice"]] += 1
            for field_id, value in step.get("values", {}).items():
                _count_value(
                    result, fields.get((step["node"], field_id)), step["node"], field_id, value
                )
    return result


def _count_value(
    result: Tally, ruling_field: RulingField | None, node_id: str, field_id: str, value
) -> None:
    if ruling_field is None:  # a field of an older version of the scenario
        return
    if ruling_field.kind == "choice":
        result.options[node_id, field_id, value] += 1
        return
    band = band_of(ruling_field, value)
    result.bands[node_id, field_id, ruling_field.bands.index(band) if band else -1] += 1


# Markdown ----------------------------------------------------------------------------------


def text_html(text: str, lang: str, reference_ids: tuple[str, ...]) -> str:
    """Scene texts and exhibits as sanitized HTML; rendered once per distinct text."""
    return _render(text, lang, reference_ids)


@lru_cache(maxsize=4096)
def _render(text: str, lang: str, reference_ids: tuple[str, ...]) -> str:
    # Keyed by the text itself: versions never change, and a changed text is a new key.
    numbers = {ident: n for n, ident in enumerate(reference_ids, start=1)}
    return render_markdown(text, lang, numbers, lambda _path: None).html
