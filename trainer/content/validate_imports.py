"""Checking a scenario's `imports` (the variables a run takes from another scenario's run),
once every scenario of the module is parsed; then the importing scenario's expert path and
states, walked from the defaults and from every reachable ending of the source."""

from trainer.content import scenario_check
from trainer.content.report import line_of
from trainer.content.schema import Scenario
from trainer.content.validate_scenario import (
    _check_expert_path,
    _check_states,
    _ScenarioReport,
    _scored,
)


def check_imports(check, meta, scenarios: dict[str, Scenario]) -> None:
    """After every scenario of the module is parsed: each `imports` names a scenario of this
    module whose variables exist with the same type, each imported variable is declared (its
    `initial` is the default) and no choice changes it; then the expert path and the states
    are checked from the defaults and from every reachable ending of the source."""
    entries = {entry.id: entry.file for entry in meta.scenarios}
    for scenario in scenarios.values():
        if scenario.imports is None or scenario.id not in entries:
            continue
        path = check.folder / entries[scenario.id]
        _data, nodes = check.read_yaml(path)
        report = _ScenarioReport(check, scenario, path, nodes)
        before = len(check.errors)
        source = _import_source(check, meta, scenarios, scenario, path, nodes)
        _check_imported_variables(check, scenario, source, path, nodes)
        if len(check.errors) > before or _graph_broken(report, scenario):
            continue
        # A broken source is reported in its own file; walk from the defaults only then.
        sound = source is not None and not _has_errors(check, check.folder / entries[source.id])
        starts = scenario_check.import_starts(scenario, source if sound else None)
        for start in starts:
            _check_expert_path(report, scenario, start)
        _check_states(report, scenario, starts)


def _import_source(check, meta, scenarios, scenario, path, nodes) -> Scenario | None:
    imports = scenario.imports
    where = line_of(nodes, ["imports", "from"])
    slug = getattr(meta, "slug", check.folder.name)  # a broken manifest: the folder's name
    if imports.module_slug is not None and imports.module_slug != slug:
        message = (
            f"'{imports.source}' names another module; a scenario imports only from a "
            f"scenario of its own module ('{slug}/<scenario-id>' or '<scenario-id>')"
        )
        check.error(path, "imports.from", message, where)
        return None
    if imports.scenario_id == scenario.id:
        check.error(path, "imports.from", "a scenario cannot import from itself", where)
        return None
    source = scenarios.get(imports.scenario_id)
    if source is None and any(e.id == imports.scenario_id for e in meta.scenarios):
        return None  # listed but broken: its own file's errors say why
    if source is None:
        known = ", ".join(sorted(set(scenarios) - {scenario.id})) or "none"
        message = f"no scenario '{imports.scenario_id}' in this module (its scenarios: {known})"
        check.error(path, "imports.from", message, where)
    elif source.imports is not None:
        message = f"'{source.id}' imports variables itself; imports do not chain"
        check.error(path, "imports.from", message, where)
        return None
    return source


def _check_imported_variables(check, scenario, source, path, nodes) -> None:
    own = {v.id: v.type for v in scenario.variables}
    theirs = {v.id: v.type for v in source.variables} if source else None
    names = scenario.imports.variables
    check.duplicates(path, "imports.variables", names)
    for i, name in enumerate(names):
        where, line = f"imports.variables[{i}]", line_of(nodes, ["imports", "variables", i])
        if name not in own:
            message = f"'{name}' is not declared under `variables` (its `initial` is the default)"
            check.error(path, where, message, line)
        if theirs is not None and name not in theirs:
            message = f"'{name}' is not a variable of the source scenario '{source.id}'"
            check.error(path, where, message, line)
        elif theirs is not None and name in own and own[name] != theirs[name]:
            message = (
                f"'{name}' is a {own[name]} here but a {theirs[name]} in '{source.id}'; "
                "the types must be the same"
            )
            check.error(path, where, message, line)
    changed = [
        (node.id, f"{where}: {e.var}")
        for node in scenario.nodes
        for where, item in _scored(node)
        for e in getattr(item, "effects", [])
        if e.var in names
    ]
    _ScenarioReport(check, scenario, path, nodes)(
        "effects that change an imported variable (imported values stay as imported)", changed
    )


def _graph_broken(report: _ScenarioReport, scenario: Scenario) -> bool:
    """Whether the scenario's file has errors already (a broken graph, a bad name): its
    states would only repeat them, as in check_scenario."""
    return _has_errors(report.check, report.path)


def _has_errors(check, path) -> bool:
    shown = check.shown(path)
    return any(e.file == shown for e in check.errors)
