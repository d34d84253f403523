"""The scenario checker that explores state, not only the graph.

A graph can look sound while a run gets stuck: a loop whose only exit needs a flag that cannot
become true on that path passes every graph check, and the learner presses "Wait" forever.
So, from the declared initial values (and, for a scenario that imports variables, from the
values every reachable ending of the source scenario leaves: `import_starts`), walk every
reachable state — a node with the values of all variables — and report

- states at a decision where no choice is offered (every choice's condition is false);
- states from which no ending can be reached;
- scoring choices (and rulings) inside a loop that a run can take again for more points.

Loops that change a counter have endless states; a walk follows a run through any one node at
most `loop_limit` times (an author's setting in the scenario) and stops there. Each finding
comes with the path of choices that leads to it, the shortest one found.
"""

from collections import deque
from dataclasses import dataclass, field

from trainer.content.scenario_graph import (
    apply_effects,
    frozen,
    imported_names,
    initial_variables,
    is_ending,
    offered_choices,
    start_variables,
)
from trainer.content.schema import DecisionNode, NarrativeNode, RulingNode, Scenario

MAX_STATES = 20_000


@dataclass
class StateGraph:
    """States are (node id, frozen variables), numbered in the order found (breadth first)."""

    states: list[tuple] = field(default_factory=list)
    # For each state but the first: (the state it was first reached from, the move's label).
    parent: list[tuple[int, str | None] | None] = field(default_factory=list)
    # For each state: (choice id or None, label, next state) of every move out of it.
    moves: list[list[tuple[str | None, str | None, int]]] = field(default_factory=list)
    cut: set[int] = field(default_factory=set)  # reached past the loop limit: not followed
    complete: bool = True  # False: more than MAX_STATES states

    def node(self, state: int) -> str:
        return self.states[state][0]

    def path(self, state: int) -> list[str]:
        """The labels of the moves that first reached the state, from the start."""
        labels = []
        while self.parent[state] is not None:
            state, label = self.parent[state]
            if label:
                labels.append(label)
        return labels[::-1]


@dataclass(frozen=True)
class Finding:
    node: str
    detail: str


@dataclass
class Findings:
    no_choice: list[Finding] = field(default_factory=list)
    no_ending: list[Finding] = field(default_factory=list)
    repeatable: list[Finding] = field(default_factory=list)
    too_many_states: bool = False


def successors(node, variables: dict) -> list[tuple[str | None, str | None, str, dict]]:
    """(choice id, label, next node id, variables) for each move a run can make here."""
    if isinstance(node, DecisionNode):
        return [
            (c.id, f"{node.id} → {c.id}", c.next, apply_effects(c.effects, variables))
            for c in offered_choices(node, variables)
        ]
    if isinstance(node, RulingNode):
        return [(None, f"{node.id} (ruling)", node.next, dict(variables))]
    if isinstance(node, NarrativeNode):
        return [(None, None, node.next, dict(variables))]
    return []


def explore(scenario: Scenario, starts: list[dict] | None = None) -> StateGraph:
    """Every state reachable from the start, following each node at most `loop_limit` times
    on a path; `starts` are the variables a run may start with (by default the initial ones).
    The scenario's targets must exist (the graph checks come first)."""
    nodes = {n.id: n for n in scenario.nodes}
    graph = StateGraph()
    index = {}

    def add(state: tuple, parent) -> int:
        index[state] = len(graph.states)
        graph.states.append(state)
        graph.parent.append(parent)
        return index[state]

    for variables in starts or [initial_variables(scenario)]:
        if (scenario.start, frozen(variables)) not in index:
            add((scenario.start, frozen(variables)), None)
    current = 0
    while current < len(graph.states):
        node_id, values = graph.states[current]
        out = []
        if current not in graph.cut:
            for choice, label, next_id, variables in successors(nodes[node_id], dict(values)):
                state = (next_id, frozen(variables))
                if state not in index:
                    if len(graph.states) >= MAX_STATES:
                        graph.complete = False
                        graph.moves.append(out)
                        return _close(graph)
                    found = add(state, (current, label))
                    if _visits(graph, found) > scenario.loop_limit:
                        graph.cut.add(found)
                out.append((choice, label, index[state]))
        graph.moves.append(out)
        current += 1
    return graph


def _close(graph: StateGraph) -> StateGraph:
    """States found but never followed (the walk stopped early) count as cut."""
    graph.moves += [[] for _ in range(len(graph.states) - len(graph.moves))]
    graph.cut |= {s for s in range(len(graph.states)) if not graph.moves[s]}
    return graph


def _visits(graph: StateGraph, state: int) -> int:
    """How many times the first path to the state passes through its node (itself included)."""
    node, count, at = graph.node(state), 1, graph.parent[state]
    while at is not None:
        count += graph.node(at[0]) == node
        at = graph.parent[at[0]]
    return count


def ending_values(source: Scenario, names: list[str]) -> list[dict]:
    """The values of `names` in every state a run of `source` can end in (from its initial
    variables), each combination once, in the order found; [] if the walk was cut short."""
    nodes = {n.id: n for n in source.nodes}
    graph = explore(source)
    found: dict[tuple, dict] = {}
    for node_id, values in graph.states:
        if is_ending(nodes[node_id]):
            picked = {k: v for k, v in values if k in names}
            found.setdefault(frozen(picked), picked)
    return list(found.values()) if graph.complete else []


def import_starts(scenario: Scenario, source: Scenario | None) -> list[dict]:
    """The variables a run of an importing scenario may start with: the defaults (nothing to
    import), then the values each reachable ending of the source leaves."""
    starts = [initial_variables(scenario)]
    if source is not None:
        names = imported_names(scenario)
        starts += [start_variables(scenario, v) for v in ending_values(source, names)]
    unique = {frozen(v): v for v in starts}
    return list(unique.values())


def check(scenario: Scenario, starts: list[dict] | None = None) -> Findings:
    nodes = {n.id: n for n in scenario.nodes}
    graph = explore(scenario, starts)
    findings = Findings(too_many_states=not graph.complete)
    ending = {s for s in range(len(graph.states)) if is_ending(nodes[graph.node(s)])}
    no_choice = {
        s
        for s in range(len(graph.states))
        if s not in graph.cut
        and isinstance(nodes[graph.node(s)], DecisionNode)
        and not graph.moves[s]
    }
    findings.no_choice = _first_per_node(graph, sorted(no_choice))
    can_end = _reaching(graph, ending)
    trapped = [
        s
        for s in range(len(graph.states))
        if s not in can_end
        and s not in ending
        and s not in graph.cut
        and s not in no_choice
        # Where a run enters the trap: its first path came from a state that could still end.
        and (graph.parent[s] is None or graph.parent[s][0] in can_end)
    ]
    findings.no_ending = _first_per_node(graph, trapped)
    findings.repeatable = _repeatable(scenario, graph)
    return findings


def _first_per_node(graph: StateGraph, states: list[int]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for state in states:
        node = graph.node(state)
        if node not in seen:
            seen[node] = Finding(node, _describe(graph, state))
    return list(seen.values())


def _describe(graph: StateGraph, state: int) -> str:
    variables = ", ".join(f"{k}={_shown(v)}" for k, v in graph.states[state][1])
    path = " · ".join(graph.path(state)) or "at the start"
    return f"path: {path}" + (f"; variables: {variables}" if variables else "")


def _shown(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}"


def _reaching(graph: StateGraph, goals: set[int]) -> set[int]:
    """The states from which one of the goals can be reached."""
    backwards: dict[int, list[int]] = {}
    for source, moves in enumerate(graph.moves):
        for _choice, _label, target in moves:
            backwards.setdefault(target, []).append(source)
    seen, todo = set(goals), list(goals)
    while todo:
        for source in backwards.get(todo.pop(), []):
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


def _search(graph: StateGraph, start: int, goal) -> list[str] | None:
    """The labels of the shortest way from `start` to a state where `goal(state)` holds."""
    came: dict[int, tuple[int, str | None] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if goal(state):
            labels = []
            while came[state] is not None:
                state, label = came[state]
                labels += [label] if label else []
            return labels[::-1]
        for _choice, label, target in graph.moves[state]:
            if target not in came:
                came[target] = (state, label)
                queue.append(target)
    return None


def _repeatable(scenario: Scenario, graph: StateGraph) -> list[Finding]:
    """Scoring choices and rulings that one run can take a second time."""
    findings = []
    for node in scenario.nodes:
        for choice_id, label in _scoring(node):
            where = [s for s in range(len(graph.states)) if graph.node(s) == node.id]
            repeat = _repeat_of(graph, where, choice_id)
            if repeat is not None:
                detail = f"{label}, again after: {' · '.join(repeat)}"
                findings.append(Finding(node.id, detail))
    return findings


def _scoring(node) -> list[tuple[str | None, str]]:
    """(choice id, label) of what scores points here and is not capped with `points_once`;
    a ruling has the choice id None."""
    if isinstance(node, DecisionNode):
        return [
            (c.id, f"choice {c.id}")
            for c in node.choices
            if not c.points_once and any(p > 0 for p in c.scores.values())
        ]
    if isinstance(node, RulingNode) and not node.points_once:
        scored = [o.scores for f in node.fields for o in f.options]
        scored += [b.scores for f in node.fields for b in f.bands]
        if any(p > 0 for scores in scored for p in scores.values()):
            return [(None, "the ruling")]
    return []


def _repeat_of(graph: StateGraph, where: list[int], choice_id: str | None) -> list[str] | None:
    """A way to take the move again: from a state where it is made, to another such state."""

    def takes(state: int):
        return next((m for m in graph.moves[state] if m[0] == choice_id), None)

    places = set(where)
    for state in where:
        move = takes(state)
        if move is None:
            continue
        again = _search(graph, move[2], lambda s: s in places and takes(s) is not None)
        if again is not None:
            return [*graph.path(state), move[1], *again, move[1]]
    return None
