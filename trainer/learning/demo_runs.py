"""Scenario runs for the demo cohort: each played to an ending through the engine, with
random but valid acts, so that the class view counts the runs whose scores the dashboard
shows. Plain functions; no queries."""

import random
from dataclasses import dataclass

from trainer.content.schema import DecisionNode, RulingField, RulingNode, Scenario
from trainer.learning import scenarios as engine

MAX_ACTS = 200  # a scenario whose random walk loops this long is left unplayed


@dataclass(frozen=True)
class PlayedRun:
    node_id: str  # the ending
    variables: dict
    path: list[dict]
    scores: dict
    percent: int


def play_randomly(scenario: Scenario, rng: random.Random, expert: dict) -> PlayedRun | None:
    """A run from the start to an ending, choosing among the offered choices and valid
    ruling values at random (the expert's choice half the time), scored against `expert`
    (the expert path's scores); None if no ending is reached within MAX_ACTS acts."""
    node_id, variables, path = scenario.start, engine.initial_variables(scenario), []
    for _ in range(MAX_ACTS):
        node = engine.node_of(scenario, node_id)
        if engine.is_ending(node):
            scores = engine.path_scores(path)
            return PlayedRun(node_id, variables, path, scores, engine.percent(scores, expert))
        choice, ruling = random_act(node, variables, rng)
        try:
            outcome = engine.act(scenario, node_id, variables, choice, ruling, path)
        except engine.ScenarioError:  # a value the content does not accept: no demo run
            return None
        node_id, variables, path = outcome.next_node, outcome.variables, [*path, outcome.step]
    return None


def expert_scores(scenario: Scenario) -> dict:
    return engine.path_scores(engine.expert_path(scenario))


def random_act(node, variables, rng: random.Random) -> tuple[str | None, dict[str, str]]:
    if isinstance(node, DecisionNode):
        offered = engine.offered_choices(node, variables)
        expert = [c for c in offered if c.expert]
        pick = rng.choice(expert) if expert and rng.random() < 0.5 else rng.choice(offered)
        return pick.id, {}
    if isinstance(node, RulingNode):
        return None, {f.id: random_value(f, rng) for f in node.fields}
    return None, {}  # a narrative node: go on


def random_value(ruling_field: RulingField, rng: random.Random) -> str:
    """A value the ruling accepts: the expert's half the time, else any option or a value
    on the field's step within its range (a band's lower edge when there are bands)."""
    if ruling_field.expert is not None and rng.random() < 0.5:
        return str(ruling_field.expert)
    if ruling_field.kind == "choice":
        return rng.choice(ruling_field.options).id
    if ruling_field.bands:
        return _number(rng.choice(ruling_field.bands).min)
    low = ruling_field.min if ruling_field.min is not None else 0
    return _number(low)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
