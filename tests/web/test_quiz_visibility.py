"""What the quiz pages say about the correct answers with `after_last_attempt`, and how many
questions an attempt of a sectioned quiz has."""

from tests.web.test_quiz import BASE, NO_ESSAY, setup, start, url  # noqa: F401

CORRECT_MARK = 'class="tag tag-right"'
EXPLANATION = "first task is to stop the violence"


def result(client, attempt_id: int) -> str:
    client.post(url(attempt_id, "/submit"))
    return client.get(url(attempt_id, "/result")).text


def test_answers_are_shown_after_the_last_attempt(setup):  # noqa: F811
    _learner, client = setup(**NO_ESSAY, attempts=2, show_answers="after_last_attempt")
    assert "shown once you pass or have used all your attempts" in client.get(BASE).text
    first = start(client)
    html = result(client, first)
    assert EXPLANATION not in html and CORRECT_MARK not in html
    assert "shown once you pass this quiz or have used all your attempts" in html
    last = start(client)
    html = result(client, last)
    assert EXPLANATION in html and CORRECT_MARK in html
    again = client.get(url(first, "/result")).text  # the earlier result too, now
    assert EXPLANATION in again and CORRECT_MARK in again


def test_the_quiz_page_counts_the_questions_the_sections_draw(setup):  # noqa: F811
    sections = [
        {"id": "scene", "draw": 2, "questions": ["first-priority", "what-to-record"]},
        {"id": "rest", "draw": 1, "questions": ["interview-together", "arrival-time"]},
    ]
    _learner, client = setup(
        drop=["match-terms", "order-steps", "children-authority", "explain-help"], sections=sections
    )
    assert "<dt>Questions</dt><dd>3</dd>" in client.get(BASE).text
    attempt_id = start(client)
    page = client.get(url(attempt_id)).text
    assert "Question 3" in page and "Question 4" not in page
