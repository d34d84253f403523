"""Every question type's validation and grading, edge cases included, without HTTP."""

import random

import pytest
from pydantic import TypeAdapter
from werkzeug.datastructures import MultiDict

from trainer.content import schema
from trainer.learning import grading
from trainer.learning.grading import InvalidAnswer, Outcome, fold, grade, parse_number

QUESTION = TypeAdapter(schema.Question)


def text(value: str) -> dict:
    return {"ru": value, "en": value}


def question(**fields):
    return QUESTION.validate_python({"id": "q", "text": text("?"), **fields})


def choice(kind: str, correct: set[str], ids=("a", "b", "c", "d"), points=1):
    options = [{"id": i, "text": text(i), "correct": i in correct} for i in ids]
    return question(type=kind, options=options, points=points)


def parse(q, layout=None, **form):
    fields = MultiDict()
    for name, value in form.items():
        for v in value if isinstance(value, list) else [value]:
            fields.add(name.replace("__", "."), v)
    return grading.type_of(q).parse(q, layout, fields)


def test_every_question_type_is_registered_with_a_template():
    grading.check_registry()
    assert set(grading.REGISTRY) == set(schema.QUESTION_TYPES)
    assert grading.REGISTRY["essay"].template == "quiz/types/essay.html"


def test_start_up_check_names_a_missing_type(monkeypatch):
    monkeypatch.delitem(grading.REGISTRY, "ordering")
    with pytest.raises(RuntimeError, match="ordering"):
        grading.check_registry()


# single_choice ------------------------------------------------------------------------


def test_single_choice_scores_the_one_correct_option():
    q = choice("single_choice", {"b"}, points=2)
    assert grade(q, "b") == Outcome(2, 2)
    assert grade(q, "a") == Outcome(0, 2)
    assert grade(q, None) == Outcome(0, 2)


def test_single_choice_refuses_unknown_and_several_options():
    q = choice("single_choice", {"b"})
    assert parse(q, a__q="b") == "b"
    assert parse(q, a__q="") is None
    with pytest.raises(InvalidAnswer, match="not one of the options"):
        parse(q, a__q="z")
    with pytest.raises(InvalidAnswer, match="only one"):
        parse(q, a__q=["a", "b"])


# multiple_choice: (right - wrong) / correct, at least 0 ---------------------------------


@pytest.mark.parametrize(
    ("chosen", "points"),
    [
        (["a", "b"], 2.0),  # all correct ones
        (["a"], 1.0),  # half of the correct ones
        (["a", "b", "c"], 1.0),  # all correct and one wrong: (2 - 1) / 2
        (["a", "b", "c", "d"], 0.0),  # everything: (2 - 2) / 2
        (["c"], 0.0),  # only a wrong one: never below zero
        ([], 0.0),
    ],
)
def test_multiple_choice_partial_credit(chosen, points):
    q = choice("multiple_choice", {"a", "b"}, points=2)
    assert grade(q, chosen or None).points == points


def test_multiple_choice_parse_keeps_layout_order_and_refuses_unknown_options():
    q = choice("multiple_choice", {"a", "b"})
    layout = ["d", "b", "a", "c"]
    assert parse(q, layout, a__q=["a", "b", "a"]) == ["b", "a"]
    assert parse(q, layout) is None
    with pytest.raises(InvalidAnswer):
        parse(q, layout, a__q=["a", "x"])


def test_partial_credit_is_rounded_to_two_places():
    q = choice("multiple_choice", {"a", "b", "c"}, ids=("a", "b", "c", "d"), points=1)
    assert grade(q, ["a"]).points == 0.33
    assert grade(q, ["a"]).verdict == "partial"


# true_false -----------------------------------------------------------------------------


def test_true_false():
    q = question(type="true_false", answer=False)
    assert parse(q, a__q="false") is False
    assert parse(q, a__q="true") is True
    assert parse(q) is None
    assert grade(q, False).verdict == "correct"
    assert grade(q, True).verdict == "incorrect"
    assert grade(q, None).points == 0
    with pytest.raises(InvalidAnswer):
        parse(q, a__q="yes")


# matching -------------------------------------------------------------------------------


def matching(n=3, points=3):
    pairs = [{"id": f"p{i}", "left": text(f"L{i}"), "right": text(f"R{i}")} for i in range(n)]
    return question(type="matching", pairs=pairs, points=points)


def test_matching_choices_are_numbered_by_position_not_by_pair():
    q = matching()
    layout = grading.type_of(q).layout(q, False, random.Random(1))
    assert sorted(layout) == ["p0", "p1", "p2"] and layout != ["p0", "p1", "p2"]
    view = grading.type_of(q).public(q, layout)
    assert [r["value"] for r in view["rights"]] == ["1", "2", "3"]
    assert "correct" not in str(view)
    # The learner picks, for each left, the position of its right in the mixed list.
    form = {f"a__q__p{i}": str(layout.index(f"p{i}") + 1) for i in range(3)}
    response = parse(q, layout, **form)
    assert response == {"p0": "p0", "p1": "p1", "p2": "p2"}
    assert grade(q, response) == Outcome(3, 3)
    assert grading.type_of(q).form_values(q, layout, response) == {
        k.replace("__", "."): v for k, v in form.items()
    }


def test_matching_partial_credit_is_the_share_of_right_pairs():
    q = matching(n=4, points=2)
    assert grade(q, {"p0": "p0", "p1": "p1", "p2": "p3", "p3": "p2"}).points == 1.0
    assert grade(q, {"p0": "p0"}).points == 0.5  # unanswered lefts earn nothing
    assert grade(q, {"p0": "p1", "p1": "p1"}).points == 0.5  # a right used twice


def test_matching_refuses_choices_that_do_not_exist():
    q = matching()
    layout = ["p2", "p0", "p1"]
    assert parse(q, layout, a__q__p0="") is None
    for bad in ("0", "4", "p1", "-1"):
        with pytest.raises(InvalidAnswer):
            parse(q, layout, a__q__p0=bad)


# ordering: the share of item pairs in the right relative order ---------------------------


def ordering(points=1):
    items = [{"id": i, "text": text(i)} for i in ("assess", "separate", "interview", "inform")]
    return question(type="ordering", items=items, points=points)


@pytest.mark.parametrize(
    ("order", "points"),
    [
        (["assess", "separate", "interview", "inform"], 6.0),
        (["separate", "assess", "interview", "inform"], 5.0),  # one neighbour swap: 5 of 6
        (["separate", "interview", "inform", "assess"], 3.0),  # first moved to last: 3 of 6
        (["inform", "interview", "separate", "assess"], 0.0),  # reversed
    ],
)
def test_ordering_partial_credit(order, points):
    assert grade(ordering(points=6), order).points == points


def test_ordering_is_always_shown_mixed_in_the_order_the_callers_rng_gives():
    """The fixed order comes from a seeded rng (attempts.draw seeds it with a secret), never
    from the question id alone."""
    q = ordering()
    correct = ["assess", "separate", "interview", "inform"]
    seeded = [grading.type_of(q).layout(q, False, random.Random("secret")) for _ in range(5)]
    assert all(layout == seeded[0] for layout in seeded) and seeded[0] != correct
    for seed in range(20):
        assert grading.type_of(q).layout(q, True, random.Random(seed)) != correct


def test_ordering_parse_needs_a_distinct_position_for_every_step():
    q = ordering()
    layout = ["inform", "assess", "interview", "separate"]
    form = {"a__q__inform": "4", "a__q__assess": "1", "a__q__interview": "3", "a__q__separate": "2"}
    assert parse(q, layout, **form) == ["assess", "separate", "interview", "inform"]
    assert parse(q, layout) is None
    with pytest.raises(InvalidAnswer, match="different position"):
        parse(q, layout, **{**form, "a__q__separate": "1"})
    with pytest.raises(InvalidAnswer, match="different position"):
        parse(q, layout, a__q__inform="4")
    with pytest.raises(InvalidAnswer):
        parse(q, layout, **{**form, "a__q__separate": "9"})
    assert grade(q, ["assess", "separate", "interview"]).points == 0  # tampered: not a permutation


# numeric --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [("25", 25.0), ("25,5", 25.5), (" -3 ", -3.0), ("1 500", 1500.0), ("1\u00a0500,25", 1500.25)],
)
def test_numbers_are_read_as_people_type_them(typed, value):
    assert parse_number(typed.strip()) == value


@pytest.mark.parametrize("typed", ["двадцать пять", "25 минут", "1,2,3", "nan", "inf", "1e999", ""])
def test_text_in_a_numeric_answer_is_refused(typed):
    with pytest.raises(InvalidAnswer, match="Enter a number"):
        parse_number(typed)


def test_numeric_tolerance_is_inclusive():
    # A child-support share: a quarter of an income of 60 000, give or take 100.
    q = question(type="numeric", answer=15000, tolerance=100)
    assert grade(q, 15000).verdict == "correct"
    assert grade(q, 15100).verdict == "correct"
    assert grade(q, 14900.0).verdict == "correct"
    assert grade(q, 15100.01).verdict == "incorrect"
    assert grade(q, None).points == 0


def test_numeric_without_tolerance_survives_floating_point():
    q = question(type="numeric", answer=0.3)
    assert grade(q, 0.1 + 0.2).verdict == "correct"
    assert parse(q, a__q="0,3") == 0.3
    assert grading.type_of(q).form_values(q, None, 25.0) == {"a.q": "25"}


# short_text -----------------------------------------------------------------------------


def test_short_text_folds_case_spaces_and_yo():
    q = question(
        type="short_text",
        accepted={"ru": ["органы опеки и попечительства", "опека"], "en": ["guardianship"]},
    )
    for answer in ["Органы  опеки и попечительства ", "ОПЕКА", "  Guardianship"]:
        assert grade(q, answer).verdict == "correct", answer
    assert grade(q, "опека детей").verdict == "incorrect"
    assert fold("  Ёлка  ЗЕЛЁНАЯ ") == "елка зеленая"
    assert parse(q, a__q="   ") is None
    with pytest.raises(InvalidAnswer, match="too long"):
        parse(q, a__q="x" * 501)


def test_short_text_accepted_answer_with_yo_matches_typed_e():
    q = question(type="short_text", accepted={"ru": ["приём"], "en": ["reception"]})
    assert grade(q, "прием").verdict == "correct"


# essay ----------------------------------------------------------------------------------


def test_essay_waits_for_a_trainer_unless_blank():
    q = question(type="essay", rubric=text("names a crisis centre"), points=3)
    assert grade(q, "I would give her the crisis centre's number.") == Outcome(None, 3)
    assert grade(q, "I would ...").verdict == "pending"
    assert grade(q, None) == Outcome(0, 3)
    assert grading.needs_review(q, "text") and not grading.needs_review(q, None)
    with pytest.raises(InvalidAnswer):
        parse(q, a__q="x" * 20_001)


# totals ---------------------------------------------------------------------------------


def test_total_percent_and_pending():
    totals = grading.total([Outcome(1, 1), Outcome(0.5, 2), Outcome(None, 3)])
    assert (totals.earned, totals.possible, totals.pending) == (1.5, 6, True)
    done = grading.total([Outcome(1, 1), Outcome(1, 2)])
    assert done.percent == 66.67 and not done.pending


def test_public_views_never_carry_answers_or_feedback():
    q = QUESTION.validate_python(
        {
            "id": "q",
            "type": "single_choice",
            "text": text("?"),
            "explanation": text("EXPLAINED"),
            "options": [
                {"id": "a", "text": text("A"), "correct": True, "feedback": text("FEEDBACK")},
                {"id": "b", "text": text("B")},
            ],
        }
    )
    view = grading.type_of(q).public(q, ["b", "a"])
    assert [o["id"] for o in view["options"]] == ["b", "a"]
    assert "correct" not in repr(view) and "FEEDBACK" not in repr(view)
    assert "EXPLAINED" not in repr(view)
