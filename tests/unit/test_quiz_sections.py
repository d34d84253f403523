"""Quiz sections (a draw per topic), the secret fixed order of matching and ordering parts,
when the correct answers are shown, and the validator's warnings with --strict. No HTTP."""

import random
from collections import Counter

import pytest

from tests.quiz_helpers import form_of, save, sync_quiz
from tests.unit.test_attempts import answer_all, learner_id, load, quiz_app  # noqa: F401
from tests.unit.test_content_validate import edit_yaml
from trainer.content.schema import Quiz
from trainer.content.stats import quiz_stats
from trainer.content.validate import load_module
from trainer.extensions import db
from trainer.learning import attempts, quiz_draw
from trainer.models.types import utcnow

SAY = {"ru": "Вопрос", "en": "Question"}


def pool_quiz(sections=None, **settings) -> Quiz:
    """Twelve true/false questions: h1-h4 on housing, c1-c4 on children, p1-p4 on procedure."""
    questions = [
        {"id": f"{topic}{n}", "type": "true_false", "text": SAY, "answer": True}
        for topic in "hcp"
        for n in range(1, 5)
    ]
    data = {"id": "final", "title": SAY, "questions": questions, **settings}
    return Quiz.model_validate(data | ({"sections": sections} if sections else {}))


SECTIONS = [
    {"id": "housing", "draw": 2, "questions": ["h1", "h2", "h3", "h4"]},
    {"id": "children", "draw": 1, "questions": ["c1", "c2", "c3", "c4"]},
    {"id": "procedure", "questions": ["p1", "p2", "p3", "p4"]},  # no draw: all four
]


def test_every_attempt_draws_from_every_section():
    quiz = pool_quiz(SECTIONS)
    assert quiz.per_attempt == 7
    for seed in range(200):
        ids = [q["id"] for q in quiz_draw.draw(quiz, random.Random(seed), b"key")]
        topics = Counter(qid[0] for qid in ids)
        assert topics == {"h": 2, "c": 1, "p": 4}
        assert ids == sorted(ids, key=[q.id for q in quiz.questions].index)  # written order


def test_without_sections_a_draw_can_miss_a_topic():
    """What sections prevent: 7 of 12 drawn at random leave out a whole topic at times."""
    quiz = pool_quiz(draw=7)
    missed = sum(
        len({q["id"][0] for q in quiz_draw.draw(quiz, random.Random(seed), b"key")}) < 3
        for seed in range(300)
    )
    assert missed > 0


def test_sections_draw_at_random_within_each_section_and_may_shuffle():
    quiz = pool_quiz(SECTIONS, shuffle_questions=True)
    housing = Counter()
    orders = set()
    for seed in range(400):
        ids = [q["id"] for q in quiz_draw.draw(quiz, random.Random(seed), b"key")]
        housing.update(i for i in ids if i.startswith("h"))
        orders.add(tuple(ids))
    assert set(housing) == {"h1", "h2", "h3", "h4"}
    assert min(housing.values()) > 120  # each about 200 of 800
    assert len(orders) > 300


def test_the_fixed_order_of_parts_comes_from_the_secret_key_not_the_question_id(quiz_app):  # noqa: F811
    app = quiz_app(draw=None, shuffle_questions=False, shuffle_options=False)
    with app.test_request_context():
        quiz = load_module_quiz(app)
        same = [
            quiz_draw.draw(quiz, random.Random(s), quiz_draw.fixed_order_key(1, "check"))
            for s in (1, 2)
        ]
        assert same[0] == same[1]  # one order for everyone on this version (the classroom)
        orders = {
            tuple(order_of(quiz_draw.draw(quiz, random.Random(0), key), "order-steps"))
            for key in [quiz_draw.fixed_order_key(v, "check") for v in range(1, 30)]
        }
        assert len(orders) > 5  # each version its own order
        app.config["SECRET_KEY"] = "another-secret"
        other = quiz_draw.draw(quiz, random.Random(1), quiz_draw.fixed_order_key(1, "check"))
    assert order_of(other, "order-steps") != order_of(same[0], "order-steps") or order_of(
        other, "match-terms"
    ) != order_of(same[0], "match-terms")


def load_module_quiz(app) -> Quiz:
    from trainer.learning.content import content_of
    from trainer.models import Module

    module = db.session.scalar(db.select(Module).where(Module.slug == "example-module"))
    return content_of(module.latest_version).quizzes["check"]


def order_of(drawn: list[dict], question_id: str) -> list[str]:
    return next(q["order"] for q in drawn if q["id"] == question_id)


def test_an_attempt_freezes_its_sectioned_draw(quiz_app, learner_id):  # noqa: F811
    sections = [
        {
            "id": "scene",
            "draw": 2,
            "questions": ["first-priority", "what-to-record", "arrival-time"],
        },
        {"id": "later", "draw": 1, "questions": ["match-terms", "order-steps"]},
        {"id": "help", "questions": ["children-authority", "interview-together", "explain-help"]},
    ]
    app = quiz_app(sections=sections)
    with app.test_request_context():
        user, module = load(learner_id)
        attempt = attempts.start(user, module, "check", utcnow())
        db.session.commit()
        ids = attempt.question_ids
        assert len(ids) == 6
        assert sum(i in sections[0]["questions"] for i in ids) == 2
        assert sum(i in sections[1]["questions"] for i in ids) == 1
        assert set(sections[2]["questions"]) <= set(ids)
        again = attempts.start(user, module, "check", utcnow())
        assert again.id == attempt.id and again.question_ids == ids


# Who sees the correct answers ------------------------------------------------------------


def submit(user, module, right: bool):
    attempt = attempts.start(user, module, "check", utcnow())
    if right:
        form = answer_all(attempt)
        save(attempt, attempt.question_ids, form, utcnow())
    else:
        save(attempt, ["first-priority"], form_of({}), utcnow())
    attempts.submit(attempt, utcnow())
    db.session.commit()
    return attempt


@pytest.mark.parametrize(
    ("setting", "visible"),
    [
        # after each of three failed attempts, then after a passing fourth (4 allowed)
        ("after_submit", [True, True, True, True]),
        ("after_pass", [False, False, False, True]),
        ("after_last_attempt", [False, False, False, True]),
        ("never", [False, False, False, False]),
    ],
)
def test_answer_visibility_settings(quiz_app, learner_id, setting, visible):  # noqa: F811
    app = quiz_app(drop=["explain-help"], draw=None, attempts=4, show_answers=setting)
    with app.test_request_context():
        user, module = load(learner_id)
        shown = [attempts.answers_visible(submit(user, module, right=n == 3)) for n in range(4)]
    assert shown == visible


def test_after_last_attempt_shows_every_result_once_no_attempt_is_left(quiz_app, learner_id):  # noqa: F811
    app = quiz_app(drop=["explain-help"], draw=None, attempts=3, show_answers="after_last_attempt")
    with app.test_request_context():
        user, module = load(learner_id)
        first, second = submit(user, module, False), submit(user, module, False)
        assert not attempts.answers_visible(first) and not attempts.answers_visible(second)
        last = submit(user, module, False)
        assert [attempts.answers_visible(a) for a in (first, second, last)] == [True] * 3


def test_after_last_attempt_shows_earlier_results_once_the_learner_passed(quiz_app, learner_id):  # noqa: F811
    app = quiz_app(drop=["explain-help"], draw=None, attempts=3, show_answers="after_last_attempt")
    with app.test_request_context():
        user, module = load(learner_id)
        failed = submit(user, module, False)
        assert not attempts.answers_visible(failed)
        submit(user, module, True)
        assert attempts.answers_visible(failed)


# The validator ---------------------------------------------------------------------------


def quiz_errors(folder, change) -> tuple[list[str], list[str]]:
    edit_yaml(folder / "quizzes" / "check.yaml", change)
    result = load_module(folder)
    return [str(e) for e in result.errors], [str(w) for w in result.warnings]


def test_sections_must_divide_the_pool(module_copy):
    def broken(d):
        d["sections"][0]["questions"] += ["match-terms", "no-such-question"]
        d["sections"][1]["draw"] = 9
        d["sections"][1]["questions"].remove("children-authority")
        d["draw"] = 4

    errors, _ = quiz_errors(module_copy, broken)
    text = "\n".join(errors)
    assert "sections[0].questions: no question with id 'no-such-question'" in text
    assert "sections[1].draw: draws 9 questions from a section of 2" in text
    assert "questions in more than one section: match-terms" in text
    assert "questions in no section (every question needs one): children-authority" in text
    assert "draw: draw 4 differs from the sections' draws, which add up to 7" in text
    assert all("check.yaml:" in e for e in errors)


def test_unlimited_attempts_with_answers_after_every_submission_is_a_warning(app, module_copy):
    def harvestable(d):
        d.pop("attempts")
        d["show_answers"] = "after_submit"

    errors, warnings = quiz_errors(module_copy, harvestable)
    assert errors == []
    [warning] = warnings
    assert "check.yaml:" in warning and "show_answers: warning: with unlimited attempts" in warning
    assert load_module(module_copy).package is not None  # a warning does not refuse a module
    runner = app.test_cli_runner()
    lenient = runner.invoke(args=["modules", "validate", str(module_copy)])
    strict = runner.invoke(args=["modules", "validate", "--strict", str(module_copy)])
    assert lenient.exit_code == 0 and "1 warning(s)" in lenient.output
    assert strict.exit_code == 1 and "1 failed (strict)" in strict.output


def test_stats_show_each_sections_draw():
    assert quiz_stats(pool_quiz(SECTIONS)) == {
        "id": "final",
        "pool": 12,
        "per_attempt": 7,
        "sections": [
            {"id": "housing", "pool": 4, "draw": 2},
            {"id": "children", "pool": 4, "draw": 1},
            {"id": "procedure", "pool": 4, "draw": 4},
        ],
    }


def test_sync_quiz_helper_keeps_sections_consistent(app, module_copy):
    sync_quiz(app, module_copy, drop=["explain-help"])
    assert load_module(module_copy).errors == []
