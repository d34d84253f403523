"""A module written from modules/README.md alone, by someone who did not write Trainer, walked
by learners in Russian and in English through the test client: lessons, the quiz, both
scenarios (one imports the other) to every ending, and the certificate.

What it covers beyond the example module: a completion rule that asks less of a quiz than the
quiz's own pass_mark (70 against 75), an officer's scenario with a ruling form and an officer's
scenario that imports another, a counter loop whose expert choice runs out by its `when`, a
module whose audience leaves judges out, and texts with commas quoted inside {ru: ..., en: ...}.
"""

import re
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import sign_in, sync_example
from tests.quiz_helpers import form_of, right_answer
from trainer.extensions import db
from trainer.learning import attempts
from trainer.learning.grading import field_name
from trainer.models import Profession, QuizAttempt, ScenarioRun

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "modules" / "safety-planning-practice"
MODULE = "/learn/safety-planning-practice"
QUIZ = f"{MODULE}/quizzes/check"
KITCHEN = f"{MODULE}/scenarios/kitchen-talk"
FOLLOW_UP = f"{MODULE}/scenarios/follow-up"

SEEN = {
    "ru": {
        "warning": "В уроке кратко описаны угрозы",
        "opening": ["Где и как начать", "Главное", "Предупреждение о содержании", "[1]</a>"],
        "risk-and-plan": [
            'alt="Схема: три шага разговора — выслушать, оценить опасность, составить план"',
            '<abbr title="Listen, Inquire, Validate, Enhance safety, Support">LIVES</abbr>',
            "<del>«теперь всё будет хорошо»</del>",
            "<th>Вопрос</th>",
            "[2]</a>",
        ],
        "referral": ['<ol start="1">', 'href="mailto:trainer@example.org"', "руководстве ВОЗ"],
        "glossary": ["план безопасности", "(safety plan)"],
        "not passed": "Не сдан",
        "passed": "Сдан",
        "pass mark": "проходной балл 70%",
        "quiz done": "Пройдите тест «Проверка знаний» (не менее 70%)",
        "record": "Зафиксировать решение",
        "form error": "Проверьте отмеченные поля формы.",
        "ruling": "Вынести решение",
        "endings": {
            "plan": "Разбор: План составлен",
            "closed": "Разбор: Разговор не состоялся",
            "advice": "Разбор: Анна замолчала",
        },
        "no source run": "чтобы увидеть, как ваша работа перешла в это дело",
        "in court": "в суде",
        "note": "Запись первого разговора",
        "follow-up endings": {
            "check-safe": "Разбор: Связь сохранена",
            "recall-plan": "Разбор: План напомнили",
            "ask-husband": "Разбор: Связь потеряна",
        },
        "certificate": "Ваш сертификат",
    },
    "en": {
        "warning": "This lesson briefly describes threats",
        "opening": ["Where and how to begin", "Key point", "Content warning", "[1]</a>"],
        "risk-and-plan": [
            'alt="Diagram: the three steps of the conversation — listen, assess the danger, '
            'make a plan"',
            '<abbr title="Listen, Inquire, Validate, Enhance safety, Support">LIVES</abbr>',
            '<del>"everything will be fine now"</del>',
            "<th>Question</th>",
            "[2]</a>",
        ],
        "referral": ['<ol start="1">', 'href="mailto:trainer@example.org"', "WHO guidelines"],
        "glossary": ["safety plan", "(план безопасности)"],
        "not passed": "Not passed",
        "passed": "Passed",
        "pass mark": "pass mark 70%",
        "quiz done": "Pass the quiz “Knowledge check” (at least 70%)",
        "record": "Record the decision",
        "form error": "Some parts of the form need attention.",
        "ruling": "Give the ruling",
        "endings": {
            "plan": "Debrief: A plan is made",
            "closed": "Debrief: No conversation",
            "advice": "Debrief: Anna went quiet",
        },
        "no source run": "to see your own work carried into this case",
        "in court": "in court",
        "note": "Note of the first talk",
        "follow-up endings": {
            "check-safe": "Debrief: Contact kept",
            "recall-plan": "Debrief: The plan recalled",
            "ask-husband": "Debrief: Contact lost",
        },
        "certificate": "Your certificate",
    },
}

EXPERT = [
    {},
    {"choice": "kitchen-alone"},
    {"choice": "ask-more"},
    {"choice": "move-to-plan"},
    {"f-referral": "crisis-centre", "f-follow-up": "2"},
]
PATHS = {
    "plan": EXPERT,
    "closed": [{}, {"choice": "in-front"}, {}],
    # round the loop until its choice runs out (trust < 3), then leave
    "advice": [{}, {"choice": "kitchen-alone"}]
    + [{"choice": "ask-more"}] * 3
    + [{"choice": "tell-to-leave"}],
}


@pytest.fixture
def learner_client(app, make_user):
    sync_example(app, FIXTURE)

    def make(lang: str, profession=Profession.POLICE):
        user = make_user(locale=lang, profession=profession)
        client = app.test_client()
        sign_in(client, user)
        return client

    return make


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def read_lessons(client, lang: str) -> None:
    warned = client.get(f"{MODULE}/lessons/opening").text
    assert SEEN[lang]["warning"] in warned and "lesson-body" not in warned
    pages = {"opening": f"{MODULE}/lessons/opening?show=text"}
    pages |= {lesson: f"{MODULE}/lessons/{lesson}" for lesson in ("risk-and-plan", "referral")}
    for lesson, url in pages.items():
        html = client.get(url).text
        for seen in SEEN[lang][lesson]:
            assert seen in html, (lesson, seen)
        assert client.post(f"{MODULE}/lessons/{lesson}/done").status_code in (302, 303)
    image = re.search(r'<img src="([^"]+)"', client.get(pages["risk-and-plan"]).text).group(1)
    served = client.get(f"{MODULE}/lessons/{image}")
    assert served.status_code == 200 and served.mimetype == "image/png"


def take_quiz(app, client, wrong_numeric: bool) -> str:
    """Every drawn question right except the essay (left blank) and, if asked, the number."""
    started = client.post(f"{QUIZ}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
    with app.test_request_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        fields = {"shown": [q for q in attempt.question_ids if q != "describe-plan"]}
        for question in attempts.questions_of(attempt):
            if question.type != "essay":
                fields |= right_answer(question, attempt.layout(question.id))
        fields[field_name("minutes-left")] = "20" if wrong_numeric else "15"
    url = f"{QUIZ}/attempts/{attempt_id}"
    assert client.post(url, data=form_of(fields)).status_code in (302, 303)
    assert client.post(f"{url}/submit").status_code in (302, 303)
    return client.get(f"{url}/result").text


def play(client, base: str, acts: list) -> str:
    url = client.post(f"{base}/runs").headers["Location"]
    for step, data in enumerate(acts):
        response = client.post(url, data={"step": step, **data})
        assert response.status_code == 303, response.text
    return client.get(response.headers["Location"]).text


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_learner_walks_the_heldout_module(app, learner_client, lang):
    seen = SEEN[lang]
    client = learner_client(lang)
    outline = client.get(f"{MODULE}/").text
    assert all(term in outline for term in seen["glossary"])
    read_lessons(client, lang)

    blank = client.post(f"{QUIZ}/start").headers["Location"].split("?")[0]
    client.post(f"{blank}/submit")
    assert seen["not passed"] in client.get(f"{blank}/result").text

    # 8 of 11 or 7.5 of 10.5 points: above the module's 70, below the quiz's own 75. The result
    # and the quiz page say what the module page says: passed, at a pass mark of 70%.
    result = text_of(take_quiz(app, client, wrong_numeric=True))
    assert seen["pass mark"] in result and seen["passed"] in result
    assert seen["not passed"] not in result
    assert "<dd>70%</dd>" in client.get(QUIZ).text

    for ending, acts in PATHS.items():
        assert seen["endings"][ending] in play(client, KITCHEN, acts)

    outline = text_of(client.get(f"{MODULE}/").text)
    assert seen["quiz done"] in outline and seen["certificate"] in outline
    certificate = re.search(r'href="(/certificates/\d+/pdf\?lang=)', client.get(f"{MODULE}/").text)
    pdf = client.get(certificate.group(1) + lang)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    # the follow-up imports the latest finished run: "advice" spoke alone, so the note is there
    landing = client.get(FOLLOW_UP).text
    assert seen["note"] in landing
    for choice, title in seen["follow-up endings"].items():
        assert title in play(client, FOLLOW_UP, [{"choice": choice}])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_an_officers_form_is_a_decision_not_a_ruling(app, learner_client, lang):
    seen = SEEN[lang]
    client = learner_client(lang)
    url = client.post(f"{KITCHEN}/runs").headers["Location"]
    for step, data in enumerate(EXPERT[:-1]):
        client.post(url, data={"step": step, **data})
    form = client.get(url).text
    assert seen["record"] in form and seen["ruling"] not in form
    refused = client.post(url, data={"step": len(EXPERT) - 1, "f-follow-up": "2"})
    assert refused.status_code == 400 and seen["form error"] in refused.text
    assert seen["record"] in refused.text and seen["ruling"] not in refused.text
    with app.app_context():
        run = db.session.get(ScenarioRun, int(url.rstrip("/").split("/")[-1]))
        assert run.node_id == "record" and not run.finished


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_an_officers_follow_up_is_not_a_court_case(app, learner_client, lang):
    seen = SEEN[lang]
    landing = text_of(learner_client(lang).get(FOLLOW_UP).text)
    assert seen["no source run"] in landing and seen["in court"] not in landing
    assert seen["note"] not in landing  # the standard case file: nobody spoke alone


def test_judges_do_not_see_a_module_written_for_other_professions(app, learner_client):
    judge = learner_client("en", profession=Profession.JUDGE)
    assert "Safety planning conversations" not in judge.get("/learn/").text
    assert judge.get(f"{MODULE}/").status_code == 403
