"""Quiz scores are shown as whole percents, halves rounded up as the scenarios' are (72.73 is
73%, not 72.73%), on every page a learner or trainer reads them: the result, the attempts, the
trainer's marking page, the learner's page in the cohort and the dashboard. A failing score that
rounding would show as the pass mark keeps its tenths (79.5 against 80 is 79.5%, 79.96 is 79.9%):
"80%" never stands beside "not passed". The example quiz's pass mark is 80 (its module's rule)."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import sign_in, sync_example
from tests.web.test_cohorts import assign, make_cohort
from trainer.extensions import db
from trainer.learning import attempts
from trainer.learning import progress as tracking
from trainer.models import AttemptState, Module, Profession, Role, User
from trainer.models.types import utcnow
from trainer.quiz.scores import shown_score

QUIZ = "/learn/example-module/quizzes/check"
LANGS = {"en": {"Accept-Language": "en"}, "ru": {"Accept-Language": "ru"}}
# (stored percent, shown in English, shown in Russian)
FAILED_NEAR = (79.5, "79.5%", "79,5%")
ROUNDED = (72.73, "73%", "73%")


def graded(app, user_id: int, percent: float) -> int:
    """A graded attempt at the example quiz with this score, recorded as a real one is."""
    with app.app_context():
        user = db.session.get(User, user_id)
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        attempt = attempts.start(user, module, "check", utcnow())
        attempt.state = AttemptState.GRADED
        attempt.submitted_at = attempt.graded_at = utcnow()
        attempt.max_score, attempt.score, attempt.percent = 200.0, 2 * percent, percent
        attempt.passed = percent >= attempts.pass_mark_of(attempt)
        progress = tracking.find_progress(user, module)
        tracking.record_quiz_result(progress, "check", percent, attempt.passed)
        db.session.commit()
        return attempt.id


@pytest.fixture
def people(app, make_user):
    """A learner with two failed attempts (72.73 and 79.5 against 80) in a trainer's cohort."""
    sync_example(app)
    learner = make_user(role=Role.LEARNER, name="Иван")
    trainer = make_user(role=Role.TRAINER, profession=Profession.OTHER)
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    assign(app, cohort_id)
    first, second = (graded(app, learner.id, p) for p in (ROUNDED[0], FAILED_NEAR[0]))
    return learner, trainer, cohort_id, first, second


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("lang", LANGS)
def test_the_learner_reads_whole_percents_and_a_failing_score_never_as_the_mark(app, people, lang):
    learner, _trainer, _cohort, first, second = people
    client = client_of(app, learner)
    index = 1 if lang == "en" else 2

    result = text_of(client.get(f"{QUIZ}/attempts/{first}/result", headers=LANGS[lang]).text)
    assert f" {ROUNDED[index]}" in result and "72.73" not in result and "72,73" not in result
    near = text_of(client.get(f"{QUIZ}/attempts/{second}/result", headers=LANGS[lang]).text)
    assert f" {FAILED_NEAR[index]}" in near and " 80% (" not in near
    assert ("did not reach the pass mark" if lang == "en" else "не набрали проходной") in near

    history = text_of(client.get(QUIZ, headers=LANGS[lang]).text)
    assert f" {ROUNDED[index]} " in history and f" {FAILED_NEAR[index]} " in history


@pytest.mark.parametrize("lang", LANGS)
def test_the_trainer_reads_them_alike_on_every_page(app, people, lang):
    learner, trainer, cohort_id, first, second = people
    client = client_of(app, trainer)
    index = 1 if lang == "en" else 2

    for attempt_id, shown in ((first, ROUNDED), (second, FAILED_NEAR)):
        page = client.get(f"/review/attempts/{attempt_id}", headers=LANGS[lang])
        assert page.status_code == 200
        assert f" {shown[index]} " in text_of(page.text)

    detail = text_of(
        client.get(f"/cohorts/{cohort_id}/learners/{learner.id}", headers=LANGS[lang]).text
    )
    assert detail.count(f" {FAILED_NEAR[index]} ") == 2  # the best score, and its attempt
    assert f" {ROUNDED[index]} " in detail and "72.7" not in detail and "72,7" not in detail

    matrix = text_of(client.get(f"/cohorts/{cohort_id}/", headers=LANGS[lang]).text)
    quiz_word = "quiz" if lang == "en" else "тест"
    assert f"{quiz_word} {FAILED_NEAR[index]}" in matrix and f"{quiz_word} 80%" not in matrix


def test_a_passing_score_and_the_rule_itself():
    assert shown_score(80.0, (80,)) == 80
    assert shown_score(99.5, (80,)) == 100
    assert shown_score(72.5) == 73  # halves up, as the scenarios' scores
    assert shown_score(72.49, (73,)) == 72
    assert str(shown_score(72.5, (73,))) == "72.5"  # failed against 73: never "73%"
    assert str(shown_score(72.96, (73,))) == "72.9"  # tenths rounded down, not up to 73.0
    assert shown_score(72.5, (80,)) == 73  # far from the mark: whole
