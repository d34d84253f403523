"""The real curriculum in modules/: valid, and every scenario ending reachable by playing it."""

from collections import deque
from pathlib import Path

import pytest

from trainer.content import scenario_check
from trainer.content.sync import module_folders
from trainer.content.validate import load_module
from trainer.learning import scenarios as engine

MODULES = module_folders(Path(__file__).resolve().parents[2] / "modules")
# An invalid module has no package: test_every_module_is_valid reports it.
PACKAGES = [(folder.name, load_module(folder).package) for folder in MODULES]
SCENARIOS = [
    (name, scenario)
    for name, package in PACKAGES
    if package is not None
    for scenario in package.scenarios.values()
]


@pytest.mark.parametrize("folder", MODULES, ids=lambda f: f.name)
def test_every_module_is_valid_even_strictly(folder):
    """As `flask modules validate --strict`: no errors and no warnings."""
    result = load_module(folder)
    assert [str(e) for e in [*result.errors, *result.warnings]] == []


def any_valid_ruling(node) -> dict[str, str]:
    values = {}
    for field in node.fields:
        if field.kind == "choice":
            values[field.id] = field.options[0].id
        else:
            values[field.id] = str(field.expert if field.expert is not None else field.min or 0)
    return values


def reachable_endings(scenario, variables: dict | None = None) -> set[str]:
    """Play every choice in every reachable state (rulings never change the state), from the
    initial variables or from `variables` (a run that imported another run's values)."""
    variables = engine.initial_variables(scenario) if variables is None else variables
    start = (scenario.start, tuple(sorted(variables.items())))
    seen, queue, endings = {start}, deque([start]), set()
    while queue:
        node_id, frozen = queue.popleft()
        node = engine.node_of(scenario, node_id)
        if engine.is_ending(node):
            endings.add(node_id)
            continue
        variables = dict(frozen)
        if node.type == "decision":
            choices = [c.id for c in engine.offered_choices(node, variables)]
            outcomes = [engine.apply_choice(node, variables, c) for c in choices]
        elif node.type == "ruling":
            outcomes = [engine.submit_ruling(node, variables, any_valid_ruling(node))]
        else:
            outcomes = [engine.go_on(node, variables)]
        for outcome in outcomes:
            state = (outcome.next_node, tuple(sorted(outcome.variables.items())))
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return endings


@pytest.mark.parametrize("module, scenario", SCENARIOS, ids=lambda x: getattr(x, "id", x))
def test_every_ending_is_reached_by_playing(module, scenario):
    endings = {node.id for node in scenario.nodes if node.type == "ending"}
    assert reachable_endings(scenario) == endings


@pytest.mark.parametrize("module, scenario", SCENARIOS, ids=lambda x: getattr(x, "id", x))
def test_the_expert_path_ends_in_an_ending(module, scenario):
    assert engine.expert_ending(scenario, engine.expert_path(scenario)) is not None


IMPORTING = [
    (name, scenario, package.scenarios[scenario.imports.scenario_id])
    for name, package in PACKAGES
    if package is not None
    for scenario in package.scenarios.values()
    if scenario.imports is not None
]


@pytest.mark.parametrize("module, scenario, source", IMPORTING, ids=lambda x: getattr(x, "id", x))
def test_an_importing_scenario_is_played_from_each_ending_of_its_source(module, scenario, source):
    """Linked scenarios: from the values every reachable ending of the source leaves, each
    run reaches an ending, its expert path too, and together they reach every ending."""
    imported = scenario_check.import_starts(scenario, source)[1:]  # [0]: the defaults
    assert imported, "the source's endings give the importing scenario no values"
    endings = {node.id for node in scenario.nodes if node.type == "ending"}
    reached = set()
    for variables in imported:
        from_here = reachable_endings(scenario, variables)
        assert from_here, variables
        assert engine.expert_ending(scenario, engine.expert_path(scenario, variables)), variables
        reached |= from_here
    assert reached == endings


def test_the_judges_module_has_what_its_issue_asks_for():
    from trainer.content.stats import module_stats

    package = load_module(
        Path(__file__).resolve().parents[2] / "modules" / "maine-arkhangelsk-judges"
    ).package
    stats = module_stats(package)
    quiz = package.quizzes["final"]
    assert stats["lessons"] >= 7 and stats["scenarios"] >= 3
    assert sum(stats["questions"].values()) >= 30 and quiz.per_attempt >= 20
    assert quiz.pass_mark == 80
    assert sum(1 for n in stats["questions"].values() if n) >= 5 and stats["questions"]["numeric"]
    assert package.meta.certificate and package.meta.credit_hours > 0 and package.meta.law_as_of
    assert package.meta.glossary and stats["references"] > 0


def test_the_judges_final_quiz_asks_about_every_lesson_and_keeps_its_answers():
    """Issue 12: a section per lesson, each drawn from in every attempt; correct answers only
    after passing or after the last of three attempts."""
    package = load_module(
        Path(__file__).resolve().parents[2] / "modules" / "maine-arkhangelsk-judges"
    ).package
    quiz = package.quizzes["final"]
    assert len(quiz.sections) >= len(package.meta.lessons)
    assert all((section.draw or len(section.questions)) >= 1 for section in quiz.sections)
    assert quiz.attempts == 3 and quiz.show_answers == "after_last_attempt"


@pytest.mark.parametrize("folder", MODULES, ids=lambda f: f.name)
def test_a_module_cites_its_real_sources_not_files_outside_the_project(folder):
    outside = [
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file()
        and ("/work/" in path.read_text("utf-8") or "FACTS.md" in path.read_text("utf-8"))
    ]
    assert outside == []
