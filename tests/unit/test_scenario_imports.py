"""Linked scenarios: `imports` validated in the one validator (file:field messages), the state
checker walking an importing scenario from the defaults and from each ending of its source,
and the plain functions that start a run and pick the case file's exhibits."""

import re
from pathlib import Path

from tests.conftest import EXAMPLE_MODULE
from tests.unit.test_content_validate import edit_yaml
from trainer.content import scenario_check
from trainer.content.scenario_graph import run_start, shown_documents, start_variables
from trainer.content.validate import load_module

HEARING = "scenarios/hearing.yaml"


def hearing_errors(folder: Path, change) -> list[str]:
    edit_yaml(folder / HEARING, change)
    errors = load_module(folder).errors
    assert all(e.file.endswith(HEARING) for e in errors), errors
    return [str(e) for e in errors]


def one(errors: list[str], fragment: str) -> str:
    found = [e for e in errors if fragment in e]
    assert len(found) == 1, errors
    return found[0]


def choice(data: dict, node_id: str, choice_id: str) -> dict:
    node = next(n for n in data["nodes"] if n["id"] == node_id)
    return next(c for c in node["choices"] if c["id"] == choice_id)


def hearing():
    return load_module(EXAMPLE_MODULE).package.scenarios["hearing"]


def call():
    return load_module(EXAMPLE_MODULE).package.scenarios["call"]


def test_the_source_must_be_a_scenario_of_the_same_module(module_copy):
    def unknown(d):
        d["imports"]["from"] = "patrol"

    message = one(hearing_errors(module_copy, unknown), "imports.from")
    assert re.search(r"hearing\.yaml:\d+: imports\.from: no scenario 'patrol' in this", message)
    assert "in this module (its scenarios: call)" in message


def test_another_module_or_itself_is_refused(module_copy):
    def elsewhere(d):
        d["imports"]["from"] = "other-module/call"

    message = one(hearing_errors(module_copy, elsewhere), "imports.from")
    assert "'other-module/call' names another module" in message

    def itself(d):
        d["imports"]["from"] = "hearing"

    assert "cannot import from itself" in one(hearing_errors(module_copy, itself), "imports")


def test_a_source_given_by_its_id_alone_is_the_same(module_copy):
    def short(d):
        d["imports"]["from"] = "call"

    assert hearing_errors(module_copy, short) == []


def test_imported_variables_exist_in_the_source_with_the_same_type_and_a_default(module_copy):
    def wrong(d):
        d["imports"]["variables"] = ["spoke-alone", "evidence", "photos", "ghost"]
        d["variables"][1]["type"] = "flag"  # evidence is a number in call.yaml
        d["variables"][1]["initial"] = False
        d["variables"].append({"id": "photos", "type": "flag", "initial": False})

    errors = hearing_errors(module_copy, wrong)
    typed = one(errors, "imports.variables[1]")
    assert "'evidence' is a flag here but a number in 'call'" in typed
    assert "'photos' is not a variable of the source scenario 'call'" in one(
        errors, "imports.variables[2]"
    )
    ghost = [e for e in errors if "imports.variables[3]" in e]
    assert any("'ghost' is not declared under `variables`" in e for e in ghost)
    assert any("'ghost' is not a variable of the source scenario" in e for e in ghost)


def test_a_choice_may_not_change_an_imported_variable(module_copy):
    def change(d):
        choice(d, "weigh", "dismiss")["effects"] = [{"var": "evidence", "add": 1}]

    message = one(hearing_errors(module_copy, change), "change an imported variable")
    assert "weigh (choice dismiss: evidence)" in message


def test_exhibit_conditions_name_declared_variables_of_the_right_type(module_copy):
    def bad(d):
        d["case_file"]["documents"][1]["when"] = [{"var": "ghost", "value": True}]
        d["case_file"]["documents"][2]["when"] = [{"var": "spoke-alone", "op": "<", "value": 1}]

    errors = hearing_errors(module_copy, bad)
    assert "case_file.documents[statement] (when uses 'ghost')" in one(errors, "not declared")
    assert "case_file.documents[injury-record] (when: spoke-alone < 1" in one(
        errors, "conditions that compare"
    )


def test_states_are_walked_from_each_ending_of_the_source(module_copy):
    """From the defaults (evidence 0) a choice is always offered; only the value the source's
    good ending leaves (evidence 1) reaches a decision with none."""

    def stuck(d):
        d["nodes"][1]["choices"] = [c for c in d["nodes"][1]["choices"] if c["id"] != "dismiss"] + [
            dict(choice(d, "weigh", "dismiss"), when=[{"var": "evidence", "value": 0}])
        ]
        choice(d, "weigh", "use-record")["when"][0]["value"] = 2

    errors = hearing_errors(module_copy, stuck)
    message = one(errors, "states where no choice is offered")
    assert "weigh (path: at the start; variables: evidence=1, spoke-alone=true)" in message


def test_the_expert_path_must_end_from_every_imported_start(module_copy):
    def no_expert(d):
        choice(d, "weigh", "use-record")["expert"] = False

    message = one(hearing_errors(module_copy, no_expert), "the expert path")
    assert "starting with spoke-alone=true, evidence=1" in message


def test_import_starts_are_the_defaults_and_the_values_of_the_sources_endings():
    starts = scenario_check.import_starts(hearing(), call())
    assert starts == [
        {"spoke-alone": False, "evidence": 0.0},
        {"spoke-alone": True, "evidence": 1.0},
        {"spoke-alone": True, "evidence": 0.0},
    ]


def test_a_run_starts_from_imported_values_of_the_right_type_else_the_defaults():
    scenario = hearing()
    assert start_variables(scenario) == {"spoke-alone": False, "evidence": 0.0}
    imported = {"spoke-alone": True, "evidence": 1, "other": 5}
    assert start_variables(scenario, imported) == {"spoke-alone": True, "evidence": 1.0}
    assert start_variables(scenario, {"spoke-alone": "yes", "evidence": True}) == {
        "spoke-alone": False,
        "evidence": 0.0,
    }
    assert run_start(scenario, {"spoke-alone": True, "evidence": 1.0}) == {
        "spoke-alone": True,
        "evidence": 1.0,
    }


def test_the_case_file_shows_the_exhibits_whose_conditions_hold():
    scenario = hearing()

    def shown(**values):
        return [d.id for d in shown_documents(scenario, start_variables(scenario, values))]

    assert shown() == ["call-log"]
    assert shown(**{"spoke-alone": True}) == ["call-log", "statement"]
    assert shown(**{"spoke-alone": True, "evidence": 1}) == [
        "call-log",
        "statement",
        "injury-record",
    ]
