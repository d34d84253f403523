from trainer.content.schema import ModuleMeta
from trainer.learning.completion import is_complete, next_step, percent_done


def meta(**completion) -> ModuleMeta:
    text = {"ru": "т", "en": "t"}
    return ModuleMeta.model_validate(
        {
            "schema_version": 1,
            "slug": "m",
            "title": text,
            "summary": text,
            "audience": ["police"],
            "estimated_minutes": 10,
            "credit_hours": 1,
            "lessons": [{"id": i, "file": i, "title": text} for i in ("a", "b", "c")],
            "quizzes": [{"id": "q", "file": "q.yaml"}],
            "scenarios": [{"id": "s", "file": "s.yaml"}],
            "completion": completion,
        }
    )


def test_all_lessons_by_default():
    rule = meta()
    assert not is_complete(rule, {"lessons": ["a", "b"]})
    assert is_complete(rule, {"lessons": ["c", "a", "b"]})
    assert percent_done(rule, {"lessons": ["a"]}) == 33


def test_quiz_pass_mark_in_the_rule_overrides_the_quizs_own():
    rule = meta(lessons=["a"], quizzes=[{"id": "q", "pass_mark": 90}])
    passed_at_80 = {"lessons": ["a"], "quizzes": {"q": {"best": 85, "passed": True}}}
    assert not is_complete(rule, passed_at_80)
    assert is_complete(rule, {"lessons": ["a"], "quizzes": {"q": {"best": 90, "passed": True}}})
    own_mark = meta(lessons=[], quizzes=[{"id": "q"}])
    assert is_complete(own_mark, {"quizzes": {"q": {"best": 70, "passed": True}}})
    assert not is_complete(own_mark, {"quizzes": {"q": {"best": 70, "passed": False}}})


def test_scenarios_and_next_step_in_rule_order():
    rule = meta(lessons=["b"], quizzes=[{"id": "q"}], scenarios=["s"])
    assert next_step(rule, {}).id == "b"
    state = {"lessons": ["b"], "quizzes": {"q": {"best": 100, "passed": True}}}
    assert (next_step(rule, state).kind, next_step(rule, state).id) == ("scenario", "s")
    assert next_step(rule, {**state, "scenarios": {"s": {"best": 80}}}) is None
    assert percent_done(rule, state) == 67


def test_a_rule_with_nothing_required_is_complete():
    rule = meta(lessons=[])
    assert is_complete(rule, {}) and percent_done(rule, {}) == 100


def test_percent_done_rounds_halves_up_and_is_100_only_when_complete():
    eight = meta(lessons=[f"l{n}" for n in range(8)])
    shown = [percent_done(eight, {"lessons": [f"l{n}" for n in range(k)]}) for k in range(9)]
    assert shown == [0, 13, 25, 38, 50, 63, 75, 88, 100]
    many = meta(lessons=[f"l{n}" for n in range(200)])
    assert percent_done(many, {"lessons": [f"l{n}" for n in range(199)]}) == 99
