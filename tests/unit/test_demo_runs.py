"""Demo scenario runs: random but valid acts, played through the engine to an ending."""

import random

import pytest

from tests.conftest import EXAMPLE_MODULE
from trainer.content.validate import load_module
from trainer.learning import scenarios as engine
from trainer.learning.demo_runs import expert_scores, play_randomly


@pytest.fixture
def call():
    return load_module(EXAMPLE_MODULE).package.scenarios["call"]


def test_random_runs_reach_an_ending_by_valid_acts_and_vary(call):
    expert = expert_scores(call)
    rng = random.Random(3)
    runs = [play_randomly(call, rng, expert) for _ in range(40)]
    assert all(run is not None for run in runs)
    for run in runs:
        assert engine.is_ending(engine.node_of(call, run.node_id))
        assert run.path[0]["node"] == call.start and run.scores == engine.path_scores(run.path)
        assert 0 <= run.percent <= 100
        replayed = engine.tally(call, [run.path])  # the class view can count it
        assert replayed.runs == 1
    assert len({run.node_id for run in runs}) > 1 and len({run.percent for run in runs}) > 1


def test_the_same_seed_plays_the_same_runs(call):
    expert = expert_scores(call)
    first = play_randomly(call, random.Random(9), expert)
    again = play_randomly(call, random.Random(9), expert)
    assert first == again
