"""The scenario engine: plain functions over a parsed Scenario and plain JSON-able data.

A run's state is its current node id and its variables ({id: number or flag}). Each act — going
on from a narrative, making a choice, submitting a ruling — returns an Outcome: the new
variables, the next node and one step for the run's path. A step is a plain dict:
{"node": id, "kind": "narrative" | "choice" | "ruling", "choice": id (choices),
"values": {field id: option id or number} (rulings), "scores": {dimension id: points}}.
Texts are not copied into steps: the debrief looks them up in the pinned module version.
"""

import hmac
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import isclose, isfinite

from trainer.content.markdown import render_markdown
from trainer.content.scenario_graph import (  # noqa: F401  (the engine's public names)
    COMPARE,
    MAX_EXPERT_STEPS,
    ScenarioError,
    Scores,
    Variables,
    add_scores,
    apply_effects,
    band_of,
    choice_step,
    chosen_option,
    expert_ending,
    expert_path,
    expert_stop,
    holds,
    initial_variables,
    is_ending,
    node_of,
    offered_choices,
    path_scores,
    ruling_step,
    run_start,
    shown_documents,
    start_variables,
    value_scores,
)
from trainer.content.schema import (
    Choice,
    DecisionNode,
    EndingNode,
    NarrativeNode,
    NumericBand,
    RulingField,
    RulingNode,
    RulingOption,
    Scenario,
)
from trainer.learning.grading import round_half_up


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


# Acts ------------------------------------------------------------------------------------


def go_on(node, variables: Variables) -> Outcome:
    """Leave a narrative node for its next node."""
    if not isinstance(node, NarrativeNode):
        raise WrongAct(f"node '{node.id}' is not a narrative")
    return Outcome(dict(variables), node.next, {"node": node.id, "kind": "narrative", "scores": {}})


def apply_choice(node, variables: Variables, choice_id: str, path: Iterable[dict] = ()) -> Outcome:
    """Take an offered choice; `path` is the run's path so far (for `points_once`)."""
    if not isinstance(node, DecisionNode):
        raise WrongAct(f"node '{node.id}' is not a decision")
    choice = next((c for c in offered_choices(node, variables) if c.id == choice_id), None)
    if choice is None:
        raise ChoiceNotOffered(f"choice '{choice_id}' is not offered at '{node.id}'")
    step = choice_step(node, choice, path)
    return Outcome(apply_effects(choice.effects, variables), choice.next, step)


def submit_ruling(
    node, variables: Variables, raw: Mapping[str, str], path: Iterable[dict] = ()
) -> Outcome:
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
    return Outcome(dict(variables), node.next, ruling_step(node, values, path))


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


def act(
    scenario: Scenario,
    node_id: str,
    variables: Variables,
    choice: str | None,
    ruling: Mapping[str, str],
    path: Iterable[dict] = (),
) -> Outcome:
    """Dispatch by node type: what the player's one POST does. `path` is the run's path so
    far: a `points_once` choice or ruling scores only once in it."""
    node = node_of(scenario, node_id)
    if isinstance(node, NarrativeNode):
        return go_on(node, variables)
    if isinstance(node, DecisionNode):
        return apply_choice(node, variables, choice or "", path)
    if isinstance(node, RulingNode):
        return submit_ruling(node, variables, ruling, path)
    raise WrongAct(f"the run has ended at '{node.id}'")


# The order a run shows ---------------------------------------------------------------------


def keyed_order(ids: Iterable[str], key: bytes) -> list[str]:
    """The ids sorted by a keyed hash: fixed by the key, unpredictable without it."""
    return sorted(ids, key=lambda ident: hmac.new(key, ident.encode(), "sha256").digest())


def run_order(ids: list[str], keys: list[bytes]) -> list[str]:
    """The order the latest of a learner's runs shows, given one secret key per run (first to
    latest). Each run gets its keyed order, turned by one place where it would repeat the run
    before it: a new run always shows a new order when there are two items or more."""
    shown: list[str] = list(ids)
    for n, key in enumerate(keys):
        order = keyed_order(ids, key)
        if n and len(order) > 1 and order == shown:
            order = order[1:] + order[:1]
        shown = order
    return shown


def shown_choices(node: DecisionNode, variables: Variables, keys: list[bytes]) -> list[Choice]:
    """The offered choices in the run's order, or in the written order with `shuffle: false`."""
    ids = [c.id for c in node.choices]
    order = run_order(ids, keys) if node.shuffle else ids
    offered = {c.id: c for c in offered_choices(node, variables)}
    return [offered[i] for i in order if i in offered]


def shown_options(node: RulingNode, keys_of) -> dict[str, list[RulingOption]]:
    """Each choice field's options in the run's order (`keys_of(field id)` gives the keys),
    or in the written order where the node or the field says `shuffle: false`."""
    shown = {}
    for ruling_field in node.fields:
        by_id = {o.id: o for o in ruling_field.options}
        ids = list(by_id)
        if node.shuffle and ruling_field.shuffle:
            ids = run_order(ids, keys_of(ruling_field.id))
        shown[ruling_field.id] = [by_id[i] for i in ids]
    return shown


# Scoring and the debrief -------------------------------------------------------------------


def percent(learner: Scores, expert: Scores) -> int:
    """Learner total over expert total, as a whole percent in 0..100, halves rounded up (5 of 8
    points is 63%, as a reader works it out; `round` would give 62 here but 88 for 7 of 8)."""
    expert_total = sum(expert.values())
    if expert_total <= 0:
        return 0
    share = 100 * sum(learner.values()) / expert_total
    return max(0, min(100, round_half_up(share)))


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


def debrief(
    scenario: Scenario, path: list[dict], ending_id: str | None, state: Mapping | None = None
) -> DebriefData:
    """Everything the debrief page shows, for a run's path (finished or not); `state` is the
    run's variables, whose imported values the expert path starts from."""
    expert = expert_path(scenario, run_start(scenario, state or {}))
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
