"""The order a run shows its choices and ruling options: shuffled per run with a secret, frozen
with the run, new for each new run, fixed where the author says `shuffle: false`."""

from itertools import permutations

import pytest

from tests.conftest import EXAMPLE_MODULE
from trainer.content.validate import load_module
from trainer.learning import scenario_runs as runs
from trainer.learning import scenarios as engine
from trainer.models import ScenarioRun


@pytest.fixture(scope="module")
def call():
    return load_module(EXAMPLE_MODULE).package.scenarios["call"]


def keys(*names: str) -> list[bytes]:
    return [name.encode() for name in names]


def test_a_keyed_order_is_fixed_by_the_key_and_varies_with_it():
    ids = ["a", "b", "c", "d", "e"]
    assert engine.keyed_order(ids, b"k1") == engine.keyed_order(list(reversed(ids)), b"k1")
    orders = {tuple(engine.keyed_order(ids, f"key-{n}".encode())) for n in range(40)}
    assert len(orders) > 20  # many of the 120 orders, not one
    # The expert (written first) is not first more often than chance would have it.
    firsts = sum(engine.keyed_order(ids, f"key-{n}".encode())[0] == "a" for n in range(500))
    assert 60 < firsts < 140


def test_a_new_run_never_repeats_the_order_of_the_run_before():
    ids = ["expert", "other"]
    for n in range(30):
        series = [engine.run_order(ids, keys(*[f"{n}-{i}" for i in range(k)])) for k in (1, 2, 3)]
        assert series[0] != series[1] and series[1] != series[2]
        assert sorted(series[2]) == sorted(ids)


def test_shown_choices_keep_the_run_order_and_drop_choices_not_offered(call):
    record = engine.node_of(call, "record")
    every = [c.id for c in record.choices]
    seen = set()
    for n in range(30):
        order = [c.id for c in engine.shown_choices(record, {"spoke-alone": True}, keys(f"{n}"))]
        assert sorted(order) == sorted(every)
        seen.add(tuple(order))
        closed = engine.shown_choices(record, {"spoke-alone": False}, keys(f"{n}"))
        assert [c.id for c in closed] == [i for i in order if i != "ask-alone-again"]
    assert len(seen) == len(list(permutations(every)))  # all six orders occur


def test_shuffle_false_keeps_the_written_order(call):
    decide = engine.node_of(call, "decide").model_copy(update={"shuffle": False})
    for n in range(10):
        shown = engine.shown_choices(decide, {}, keys(f"{n}"))
        assert [c.id for c in shown] == ["separate", "leave"]


def test_ruling_options_follow_the_run_unless_the_node_or_field_is_fixed(call):
    written = engine.node_of(call, "report")  # its risk scale says shuffle: false
    assert not written.fields[0].shuffle
    fields = [f.model_copy(update={"shuffle": True}) for f in written.fields]
    report = written.model_copy(update={"fields": fields})
    orders = {
        tuple(o.id for o in engine.shown_options(report, lambda f, n=n: keys(f"{n}{f}"))["risk"])
        for n in range(20)
    }
    assert orders == {("high", "low"), ("low", "high")}
    fixed_node = report.model_copy(update={"shuffle": False})
    fields = [f.model_copy(update={"shuffle": False}) for f in report.fields]
    fixed_field = report.model_copy(update={"fields": fields})
    for node in (fixed_node, fixed_field):
        for n in range(10):
            shown = engine.shown_options(node, lambda f, n=n: keys(f"{n}{f}"))
            assert [o.id for o in shown["risk"]] == ["high", "low"]


def run(number: int, user_id: int = 1) -> ScenarioRun:
    return ScenarioRun(user_id=user_id, module_version_id=7, scenario_id="call", number=number)


def test_run_keys_come_from_the_secret_and_the_run(make_app):
    with make_app(SECRET_KEY="first-secret").app_context():
        first = runs.order_keys(run(2), "decide")
        assert first == runs.order_keys(run(2), "decide")  # a reload: the same order
        assert len(first) == 2 and first[:1] == runs.order_keys(run(1), "decide")
        assert runs.order_keys(run(2, user_id=2), "decide") != first
        assert runs.order_keys(run(2), "record") != first
        assert runs.order_keys(run(2), "report", "risk") != runs.order_keys(run(2), "report")
    with make_app(SECRET_KEY="another-secret").app_context():
        assert runs.order_keys(run(2), "decide") != first


def test_the_debrief_still_shows_the_expert_path_in_the_written_terms(call):
    data = engine.debrief(call, [], None)
    assert [s.choice.id for s in data.expert_steps if s.choice] == ["separate", "document"]
