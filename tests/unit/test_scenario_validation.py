"""Scenario graph validation: every broken graph is reported, naming every offending node."""

from pathlib import Path

from tests.unit.test_content_validate import edit_yaml
from trainer.content.validate import load_module


def scenario_errors(folder: Path, change) -> list[str]:
    edit_yaml(folder / "scenarios" / "call.yaml", change)
    errors = load_module(folder).errors
    assert all(e.file.endswith("scenarios/call.yaml") for e in errors), errors
    return [str(e) for e in errors]


def node(data: dict, node_id: str) -> dict:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def narrative(node_id: str, next_id: str) -> dict:
    return {
        "id": node_id,
        "type": "narrative",
        "text": {"ru": "Сцена", "en": "Scene"},
        "next": next_id,
    }


def one(errors: list[str], fragment: str) -> str:
    found = [e for e in errors if fragment in e]
    assert len(found) == 1, errors
    return found[0]


def test_dangling_targets_are_all_named(module_copy):
    def dangle(d):
        node(d, "arrival")["next"] = "nowhere"
        node(d, "decide")["choices"][1]["next"] = "ghost"

    errors = scenario_errors(module_copy, dangle)
    message = one(errors, "targets that do not exist")
    assert "arrival (next → nowhere)" in message
    assert "decide (choices[leave].next → ghost)" in message
    assert ":" in message.split("nodes:")[0]  # file:line


def test_unreachable_nodes_are_all_named(module_copy):
    def orphans(d):
        d["nodes"] += [narrative("orphan", "good-ending"), narrative("stray", "orphan")]

    message = one(scenario_errors(module_copy, orphans), "not reachable from the start")
    assert message.endswith("nodes not reachable from the start 'arrival': orphan, stray")


def test_dead_ends_and_loops_without_a_way_out(module_copy):
    def trap(d):
        node(d, "decide")["choices"][1]["next"] = "into-loop"
        d["nodes"] += [
            narrative("into-loop", "loop-a"),
            narrative("loop-a", "loop-b"),
            narrative("loop-b", "loop-a"),
        ]

    errors = scenario_errors(module_copy, trap)
    assert one(errors, "loops with no way out").endswith(
        "loops with no way out to an ending: loop-a, loop-b"
    )
    assert one(errors, "dead ends").endswith("dead ends: no ending can be reached from: into-loop")


def test_a_loop_with_a_way_out_is_fine(module_copy):
    def loop_back(d):
        node(d, "record")["choices"][1]["next"] = "decide"  # advise-only: back to the door

    assert scenario_errors(module_copy, loop_back) == []


def test_undeclared_variables_dimensions_and_references(module_copy):
    def undeclared(d):
        choices = node(d, "record")["choices"]
        choices[0]["effects"] = [{"var": "risk-level", "add": 1}]
        choices[2]["when"] = [{"var": "child-heard", "value": True}]
        node(d, "decide")["choices"][0]["scores"]["childs-interests"] = 1
        node(d, "report")["fields"][0]["options"][0]["scores"] = {"evidence": 1}
        node(d, "decide")["choices"][1]["reference"] = "no-such-law"
        node(d, "poor-ending")["debrief"]["references"] = ["missing-book"]

    errors = scenario_errors(module_copy, undeclared)
    variables = one(errors, "variables that are not declared")
    assert "record (choice document uses 'risk-level')" in variables
    assert "record (choice ask-alone-again uses 'child-heard')" in variables
    dimensions = one(errors, "rubric dimensions that are not declared")
    assert "decide (choice separate scores 'childs-interests')" in dimensions
    assert "report (risk: high scores 'evidence')" in dimensions
    references = one(errors, "references that are not in module.yaml")
    assert "decide (choice leave cites 'no-such-law')" in references
    assert "poor-ending (debrief cites 'missing-book')" in references


def test_conditions_and_effects_must_fit_the_variable_type(module_copy):
    def mistyped(d):
        choices = node(d, "record")["choices"]
        choices[2]["when"] = [{"var": "spoke-alone", "op": ">", "value": 1}]
        choices[1]["when"] = [{"var": "evidence", "value": True}]
        choices[0]["effects"] = [{"var": "spoke-alone", "add": 1}]

    errors = scenario_errors(module_copy, mistyped)
    conditions = one(errors, "conditions that compare a flag with a number")
    assert "record (choice ask-alone-again: spoke-alone > 1" in conditions
    assert "record (choice advise-only: evidence == True)" in conditions
    assert "record (choice document: spoke-alone)" in one(errors, "effects that need exactly one")


def test_ruling_experts_must_be_an_option_or_within_range(module_copy):
    def wrong_experts(d):
        fields = node(d, "report")["fields"]
        fields[0]["expert"] = "extreme"
        fields[1]["expert"] = 45
        fields[1]["bands"].append({"min": 20, "max": 60})

    errors = scenario_errors(module_copy, wrong_experts)
    assert "report (risk: extreme), report (visits: 45" in one(errors, "ruling `expert` values")
    assert "report (visits: 20" in one(errors, "ruling bands")


def test_a_decision_whose_every_choice_is_conditional(module_copy):
    def all_conditional(d):
        for choice in node(d, "decide")["choices"]:
            choice["when"] = [{"var": "evidence", "op": ">", "value": 0}]

    message = one(scenario_errors(module_copy, all_conditional), "no choice is offered")
    assert message.endswith("decide (path: at the start; variables: evidence=0, spoke-alone=false)")


def test_every_text_needs_both_languages(module_copy):
    def drop_english(d):
        d["case_file"]["documents"][0]["body"].pop("en")
        node(d, "decide")["choices"][0]["feedback"].pop("ru")

    errors = scenario_errors(module_copy, drop_english)
    assert any("case_file.documents[0].body.en: missing English text" in e for e in errors)
    assert any("choices[0].feedback.ru: missing Russian text" in e for e in errors)


def test_the_expert_path_must_reach_an_ending(module_copy):
    def no_expert_at_record(d):
        for choice in node(d, "record")["choices"]:
            choice.pop("expert", None)

    message = one(scenario_errors(module_copy, no_expert_at_record), "the expert path")
    assert message.endswith(
        "it stops at: record (no expert choice is offered there, or the path would loop)"
    )


def test_markdown_the_sanitizer_would_drop_is_reported(module_copy):
    def raw_html(d):
        node(d, "arrival")["text"]["ru"] += ' <iframe src="x"></iframe>'
        d["case_file"]["documents"][0]["body"]["en"] += " [@no-such-source]"

    message = one(scenario_errors(module_copy, raw_html), "Markdown problems")
    assert "arrival (Russian: raw HTML <iframe> is removed by the sanitizer)" in message
    assert (
        "case_file.documents[call-log] (English: unknown reference id [@no-such-source])" in message
    )
