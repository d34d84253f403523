"""The state checker: broken scenarios whose graph looks sound, found by walking every state a
run can reach, each reported with the path of choices that leads there."""

import ast
from pathlib import Path

import yaml

from tests.unit.test_scenario_validation import node, one
from trainer.content import scenario_check
from trainer.content.schema import Scenario
from trainer.content.validate import load_module
from trainer.learning import scenarios as engine

SAY = {"ru": "Текст", "en": "Text"}


def choice(choice_id: str, next_id: str, when=None, effects=None, scores=None, **extra) -> dict:
    data = {"id": choice_id, "text": SAY, "next": next_id, "feedback": SAY, **extra}
    data |= {"when": when} if when else {}
    data |= {"effects": effects} if effects else {}
    return data | ({"scores": scores} if scores else {})


def decision(node_id: str, *choices) -> dict:
    return {"id": node_id, "type": "decision", "text": SAY, "choices": list(choices)}


def edit(folder, change) -> tuple[list[str], list[str]]:
    """Change the example scenario; (errors, warnings) as printed by the validator."""
    path = folder / "scenarios" / "call.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = load_module(folder)
    return [str(e) for e in result.errors], [str(w) for w in result.warnings]


def add_choice(data: dict, node_id: str, new: dict) -> None:
    node(data, node_id)["choices"].append(new)


def test_the_example_and_a_capped_loop_with_a_way_out_have_no_findings(module_copy):
    assert edit(module_copy, lambda d: None) == ([], [])

    def loop_back(d):
        node(d, "record")["choices"][1]["next"] = "decide"  # advise-only: back to the door
        node(d, "decide")["choices"][0]["points_once"] = True  # separate scores once

    assert edit(module_copy, loop_back) == ([], [])


def test_a_conditional_dead_end_is_reported_with_its_path(module_copy):
    """Every node can reach an ending in the graph, but a run that waits outside has neither
    spoken to the woman alone nor gathered evidence, so the knock offers nothing."""

    def dead_end(d):
        add_choice(d, "decide", choice("wait-outside", "knock"))
        d["nodes"].append(
            decision(
                "knock",
                choice("enter", "record", when=[{"var": "spoke-alone", "value": True}]),
                choice(
                    "call-back", "good-ending", when=[{"var": "evidence", "op": ">=", "value": 1}]
                ),
            )
        )

    errors, _ = edit(module_copy, dead_end)
    message = one(errors, "states where no choice is offered")
    assert message.endswith(
        "knock (path: decide → wait-outside; variables: evidence=0, spoke-alone=false)"
    )
    assert "call.yaml:" in message  # file and line


def test_a_loop_whose_exit_cannot_open_on_that_path(module_copy):
    """The learner who waits can only wait again: the exit needs a flag that stays false."""

    def trap(d):
        add_choice(d, "decide", choice("wait", "waiting"))
        d["nodes"].append(
            decision(
                "waiting",
                choice("wait-more", "waiting"),
                choice("go-in", "record", when=[{"var": "spoke-alone", "value": True}]),
            )
        )

    errors, _ = edit(module_copy, trap)
    message = one(errors, "states from which no ending can be reached")
    assert "waiting (path: decide → wait; variables: evidence=0, spoke-alone=false)" in message
    assert not any("dead ends" in e or "loops with no way out" in e for e in errors)


def counting_loop(exit_at: int, limit: int | None):
    """Knocking counts; the door opens after `exit_at` knocks."""

    def change(d):
        if limit is not None:
            d["loop_limit"] = limit
        add_choice(d, "decide", choice("knock", "door", effects=[{"var": "evidence", "add": 1}]))
        d["nodes"].append(
            decision(
                "door",
                choice("knock-again", "door", effects=[{"var": "evidence", "add": 1}]),
                choice(
                    "opened", "record", when=[{"var": "evidence", "op": ">=", "value": exit_at}]
                ),
            )
        )

    return change


def test_a_counting_loop_is_followed_up_to_the_authors_limit(module_copy):
    assert edit(module_copy, counting_loop(exit_at=3, limit=None))[0] == []


def test_a_loop_that_needs_more_turns_than_the_limit_is_reported(module_copy):
    errors, _ = edit(module_copy, counting_loop(exit_at=4, limit=2))
    message = one(errors, "states from which no ending can be reached")
    assert "following each loop at most 2 times; raise `loop_limit`" in message
    assert "door (path: decide → knock; variables: evidence=1, spoke-alone=false)" in message


def test_a_loop_that_never_opens_with_a_growing_counter_is_bounded(module_copy):
    errors, _ = edit(module_copy, counting_loop(exit_at=10_000, limit=None))
    assert "door (path: decide → knock" in one(errors, "no ending can be reached")


def repeatable(points_once: bool):
    def change(d):
        again = node(d, "record")["choices"][2]  # ask-alone-again: safety +1
        again["next"] = "record"
        again["points_once"] = points_once

    return change


def test_a_scoring_choice_that_a_loop_repeats_is_a_warning(module_copy):
    errors, warnings = edit(module_copy, repeatable(points_once=False))
    assert errors == []
    message = one(warnings, "score again each time a run goes round a loop")
    assert message.endswith(
        "record (choice ask-alone-again, again after: decide → separate · "
        "record → ask-alone-again · record → ask-alone-again)"
    )
    assert "warning:" in message


def test_points_once_caps_the_choice_and_silences_the_warning(module_copy):
    assert edit(module_copy, repeatable(points_once=True)) == ([], [])
    scenario = load_module(module_copy).package.scenarios["call"]
    variables, path, node_id = engine.initial_variables(scenario), [], scenario.start
    for act in [None, "separate", "ask-alone-again", "ask-alone-again", "ask-alone-again"]:
        outcome = engine.act(scenario, node_id, variables, act, {}, path)
        variables, node_id = outcome.variables, outcome.next_node
        path.append(outcome.step)
    assert engine.path_scores(path) == {"safety": 3, "procedure": 1}  # 2 + 1 once, not 2 + 3


def test_a_repeated_ruling_that_scores_is_reported_too(module_copy):
    def ruling_loop(d):
        node(d, "report")["next"] = "review"
        d["nodes"].append(
            decision(
                "review",
                choice("revise", "report"),
                choice("close", "good-ending", expert=True),
            )
        )

    errors, warnings = edit(module_copy, ruling_loop)
    assert errors == []
    assert one(warnings, "score again").endswith(
        "report (the ruling, again after: decide → separate · record → document · "
        "report (ruling) · review → revise · report (ruling))"
    )


def test_the_walk_stops_at_too_many_states(module_copy, monkeypatch):
    monkeypatch.setattr(scenario_check, "MAX_STATES", 5)
    errors, _ = edit(module_copy, lambda d: None)
    assert "more than 5 states to check; lower `loop_limit` (now 5)" in one(errors, "states to")


def test_the_explorer_returns_paths_as_data(module_copy):
    scenario = load_module(module_copy).package.scenarios["call"]
    graph = scenario_check.explore(scenario)
    endings = {graph.node(s) for s in range(len(graph.states)) if not graph.moves[s]}
    assert endings == {"good-ending", "poor-ending"}
    ask = next(s for s in range(len(graph.states)) if graph.node(s) == "report")
    assert graph.path(ask) == ["decide → separate", "record → document"]
    assert isinstance(scenario, Scenario)


def test_the_content_format_does_not_import_the_engine():
    """trainer/content stands below the engines: nothing in it imports trainer.learning."""
    folder = Path(scenario_check.__file__).parent
    imported = set()
    for source in folder.glob("*.py"):
        for stmt in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                imported.add((source.name, stmt.module))
            elif isinstance(stmt, ast.Import):
                imported |= {(source.name, alias.name) for alias in stmt.names}
    assert ("validate.py", "trainer.content.report") in imported  # the walk sees imports
    assert [pair for pair in imported if pair[1].startswith("trainer.learning")] == []
