"""The scenario engine without HTTP: conditions, effects, rulings, scoring and the debrief."""

import pytest

from tests.conftest import EXAMPLE_MODULE
from trainer.content.schema import Condition, Effect
from trainer.content.validate import load_module
from trainer.learning import scenarios as engine


@pytest.fixture(scope="module")
def call():
    return load_module(EXAMPLE_MODULE).package.scenarios["call"]


def play(scenario, acts):
    """Play acts (a choice id, a ruling dict, or None to go on) from the start."""
    variables, node_id, path = engine.initial_variables(scenario), scenario.start, []
    for act in acts:
        choice = act if isinstance(act, str) else None
        ruling = act if isinstance(act, dict) else {}
        outcome = engine.act(scenario, node_id, variables, choice, ruling)
        variables, node_id = outcome.variables, outcome.next_node
        path.append(outcome.step)
    return variables, node_id, path


def test_initial_variables_follow_their_declared_types(call):
    assert engine.initial_variables(call) == {"spoke-alone": False, "evidence": 0.0}


def test_conditions_and_effects():
    variables = {"flag": False, "n": 2.0}
    assert engine.holds(Condition(var="n", op=">=", value=2), variables)
    assert not engine.holds(Condition(var="flag", value=True), variables)
    changed = engine.apply_effects(
        [Effect(var="flag", set=True), Effect(var="n", add=1.5)], variables
    )
    assert changed == {"flag": True, "n": 3.5}
    assert variables == {"flag": False, "n": 2.0}  # the input is not changed


def test_a_choice_with_a_false_condition_is_not_offered(call):
    record = engine.node_of(call, "record")
    offered = [c.id for c in engine.offered_choices(record, {"spoke-alone": False})]
    assert offered == ["document", "advise-only"]
    with pytest.raises(engine.ChoiceNotOffered):
        engine.apply_choice(record, {"spoke-alone": False, "evidence": 0}, "ask-alone-again")
    allowed = engine.offered_choices(record, {"spoke-alone": True})
    assert "ask-alone-again" in [c.id for c in allowed]


def test_an_unknown_choice_or_the_wrong_kind_of_act_is_refused(call):
    decide = engine.node_of(call, "decide")
    with pytest.raises(engine.ChoiceNotOffered):
        engine.apply_choice(decide, {}, "fly-away")
    with pytest.raises(engine.WrongAct):
        engine.act(call, "good-ending", {}, "separate", {})
    with pytest.raises(engine.WrongAct):
        engine.apply_choice(engine.node_of(call, "arrival"), {}, "separate")


def test_a_choice_applies_its_effects_and_returns_its_score_deltas(call):
    variables, node_id, path = play(call, [None, "separate"])
    assert node_id == "record"
    assert variables["spoke-alone"] is True
    assert path[-1] == {
        "node": "decide",
        "kind": "choice",
        "choice": "separate",
        "scores": {"safety": 2, "procedure": 1},
    }


def test_a_ruling_is_checked_field_by_field(call):
    report = engine.node_of(call, "report")
    with pytest.raises(engine.RulingInvalid) as bad:
        engine.submit_ruling(report, {}, {"risk": "extreme", "visits": "31"})
    assert bad.value.errors == {"risk": "unknown-option", "visits": "out-of-range"}
    with pytest.raises(engine.RulingInvalid) as bad:
        engine.submit_ruling(report, {}, {"visits": "2.5"})
    assert bad.value.errors == {"risk": "missing", "visits": "off-step"}
    with pytest.raises(engine.RulingInvalid) as bad:
        engine.submit_ruling(report, {}, {"risk": "low", "visits": "soon"})
    assert bad.value.errors == {"visits": "not-a-number"}


def test_a_ruling_scores_the_option_and_the_numeric_band(call):
    report = engine.node_of(call, "report")
    inside = engine.submit_ruling(report, {}, {"risk": "high", "visits": "3"})
    assert inside.step["values"] == {"risk": "high", "visits": 3.0}
    assert inside.step["scores"] == {"safety": 3}
    assert inside.next_node == "good-ending"
    outside = engine.submit_ruling(report, {}, {"risk": "low", "visits": "14"})
    assert outside.step["scores"] == {}


def test_expert_path_follows_expert_choices_and_values(call):
    expert = engine.expert_path(call)
    assert [(s["node"], s.get("choice")) for s in expert] == [
        ("arrival", None),
        ("decide", "separate"),
        ("record", "document"),
        ("report", None),
    ]
    assert expert[-1]["values"] == {"risk": "high", "visits": 2}
    assert engine.path_scores(expert) == {"safety": 5, "procedure": 3}
    assert engine.expert_ending(call, expert) == "good-ending"


def test_percent_is_learner_total_over_expert_total_capped():
    assert engine.percent({"a": 3, "b": 1}, {"a": 4, "b": 4}) == 50
    assert engine.percent({"a": 9}, {"a": 4}) == 100
    assert engine.percent({"a": -2}, {"a": 4}) == 0
    assert engine.percent({"a": 2}, {}) == 0
    # halves round up, whatever the digit before them (Python's round gave 62 and 88)
    assert engine.percent({"a": 5}, {"a": 8}) == 63
    assert engine.percent({"a": 7}, {"a": 8}) == 88
    assert engine.percent({"a": 1}, {"a": 8}) == 13
    assert engine.percent({"a": 57}, {"a": 200}) == 29  # 28.499999... in floating point


def test_debrief_of_a_poor_run(call):
    _, node_id, path = play(call, [None, "leave"])
    assert engine.is_ending(engine.node_of(call, node_id))
    data = engine.debrief(call, path, node_id)
    assert data.ending.id == "poor-ending"
    assert data.percent == 0
    assert [(d.id, d.learner, d.expert) for d in data.dimensions] == [
        ("safety", 0, 5),
        ("procedure", 0, 3),
    ]
    assert [s.choice.id for s in data.steps if s.choice] == ["leave"]
    assert data.expert_ending.id == "good-ending"
    assert data.references == ["unodc-police-handbook", "koap-rf"]


def test_debrief_of_a_run_that_went_its_own_good_way(call):
    acts = [None, "separate", "ask-alone-again", {"risk": "high", "visits": "1"}]
    _, node_id, path = play(call, acts)
    data = engine.debrief(call, path, node_id)
    assert node_id == "good-ending"
    # safety 2 + 1 + 2 + 1 = 6, procedure 1: 7 of the expert's 8 points.
    assert {d.id: d.learner for d in data.dimensions} == {"safety": 6, "procedure": 1}
    assert data.percent == 88
    ruling = data.steps[-1]
    assert [(f.field.id, f.value) for f in ruling.fields] == [("risk", "high"), ("visits", 1.0)]
    assert ruling.fields[1].band is not None and ruling.fields[0].option.id == "high"


def test_tally_counts_choices_options_and_bands(call):
    paths = [
        play(call, [None, "separate", "document", {"risk": "high", "visits": "2"}])[2],
        play(call, [None, "separate", "advise-only", {"risk": "low", "visits": "20"}])[2],
        play(call, [None, "leave"])[2],
    ]
    counts = engine.tally(call, paths)
    assert counts.runs == 3
    assert counts.reached["decide"] == 3 and counts.reached["report"] == 2
    assert counts.choice("decide", "separate") == 2 and counts.choice("decide", "leave") == 1
    assert counts.option("report", "risk", "high") == 1
    assert counts.band("report", "visits", 0) == 1 and counts.band("report", "visits", -1) == 1


def test_markdown_texts_are_rendered_sanitized_and_cached():
    html = engine.text_html("**Важно** <script>alert(1)</script>", "ru", ())
    assert "<strong>Важно</strong>" in html and "<script" not in html
    before = engine._render.cache_info().hits
    engine.text_html("**Важно** <script>alert(1)</script>", "ru", ())
    assert engine._render.cache_info().hits == before + 1


def text(words: str) -> dict:
    return {"ru": words, "en": words}


def hub_scenario(loop_forever: bool = False):
    """A hearing where the judge examines two exhibits, returning to the same hub each time."""
    from trainer.content.schema import Scenario

    def examine(flag):
        return {
            "id": f"examine-{flag}",
            "text": text(flag),
            "next": "hub",
            "when": [] if loop_forever else [{"var": flag, "value": False}],
            "effects": [{"var": flag, "set": True}],
            "scores": {"evidence": 1},
            "feedback": text("ok"),
            "expert": True,
        }

    decide = {"id": "decide", "text": text("d"), "next": "end", "feedback": text("ok")}
    return Scenario.model_validate(
        {
            "id": "hub",
            "title": text("Hub"),
            "summary": text("s"),
            "disclaimer": text("fictional"),
            "case_file": {
                "summary": text("s"),
                "parties": [{"id": "a", "name": text("A"), "role": text("r")}],
            },
            "variables": [
                {"id": "x", "type": "flag", "initial": False},
                {"id": "y", "type": "flag", "initial": False},
            ],
            "rubric": [{"id": "evidence", "title": text("Evidence")}],
            "start": "hub",
            "nodes": [
                {
                    "id": "hub",
                    "type": "decision",
                    "text": text("h"),
                    "choices": [examine("x"), examine("y"), {**decide, "expert": True}],
                },
                {
                    "id": "end",
                    "type": "ending",
                    "title": text("E"),
                    "text": text("e"),
                    "debrief": {"what_happened": text("w"), "expert_view": text("v")},
                },
            ],
        }
    )


def test_the_expert_path_may_return_to_a_hub_while_the_variables_change():
    scenario = hub_scenario()
    expert = engine.expert_path(scenario)
    assert [s["choice"] for s in expert] == ["examine-x", "examine-y", "decide"]
    assert engine.expert_ending(scenario, expert) == "end"


def test_an_expert_path_that_would_loop_forever_stops():
    scenario = hub_scenario(loop_forever=True)
    expert = engine.expert_path(scenario)
    # examine-x sets x, then examine-x again changes nothing: the same state, so it stops.
    assert [s["choice"] for s in expert] == ["examine-x", "examine-x"]
    assert engine.expert_ending(scenario, expert) is None
    assert engine.expert_stop(scenario, expert) == "hub"
