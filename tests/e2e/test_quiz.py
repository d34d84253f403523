"""An officer answers part of a quiz, reloads, comes back in a new browser session, resumes,
submits from two tabs and a double click, and finds one graded attempt."""

import time

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.quiz_helpers import enrol, set_quiz
from trainer.extensions import db
from trainer.learning import attempts
from trainer.models import AttemptState, LearningEvent, QuizAttempt, Role, Verb

ESSAY_TEXT = "I would give her the crisis centre's number in writing and explain legal aid."


def english_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    return context, context.new_page()


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def right_answers(app, attempt_id) -> dict[str, dict]:
    """question id -> {field name: value(s)}, answering everything correctly."""
    from tests.quiz_helpers import right_answer

    with app.test_request_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return {q.id: right_answer(q, attempt.layout(q.id)) for q in attempts.questions_of(attempt)}


def fill(page, fields: dict) -> None:
    for name, value in fields.items():
        control = page.locator(f'[name="{name}"]')
        kind = control.first.evaluate("e => e.type")
        if kind in ("radio", "checkbox"):
            for v in value if isinstance(value, list) else [value]:
                page.locator(f'[name="{name}"][value="{v}"]').check()
        elif kind == "select-one":
            control.select_option(value)
        else:
            control.fill(value)


def on_page(page, answers: dict) -> list[str]:
    shown = page.locator('input[name="shown"]').evaluate_all("els => els.map(e => e.value)")
    return [q for q in shown if q in answers]


def the_attempt(app) -> QuizAttempt:
    with app.app_context():
        [attempt] = db.session.scalars(select(QuizAttempt)).all()
        return attempt


def stored_answers_soon(app, attempt_id: int, expected: int, seconds: float = 5) -> int:
    """How many answers the attempt has stored, once it has `expected` or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            count = len(attempts.stored_answers(attempt_id))
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def signed_in_officer(live_server, browser, make_user, module_copy, **quiz_settings):
    """The example quiz without its essay (submitting grades at once), and an officer's page."""
    from tests.conftest import sync_example

    set_quiz(module_copy, drop=["explain-help"], draw=None, **quiz_settings)
    sync_example(live_server, module_copy)
    make_user(email="officer@example.org", name="Officer Ivanov", locale="en")
    base = live_server.config["LIVE_URL"]
    context, page = english_page(browser)
    sign_in(page, base, "officer@example.org")
    return base, context, page


def attempt_page(live_server, browser, make_user, module_copy):
    """An officer's page on a new attempt of the example quiz, its questions in order."""
    base, context, page = signed_in_officer(
        live_server, browser, make_user, module_copy, shuffle_questions=False
    )
    page.goto(base + "/learn/example-module/quizzes/check")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_text("Question 1 of 7")).to_be_visible()
    return context, page


def answered_soon(app, done, what: str, seconds: float = 10) -> dict:
    """The attempt's answers once `done(answers)` holds; fails with `what` when it never does
    (a save that leaves with a page may arrive after the next page loads)."""
    deadline = time.monotonic() + seconds
    while not done(answers := attempts.answered(the_attempt_with_answers(app))):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return answers


def test_answer_reload_resume_and_submit_twice(live_server, browser, make_user, module_copy):
    base, context, page = signed_in_officer(live_server, browser, make_user, module_copy)

    page.goto(base + "/learn/example-module/")
    page.get_by_role("link", name="Quiz: Knowledge check").click()
    expect(page.locator("h1")).to_have_text("Knowledge check")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_text("Question 1 of 7")).to_be_visible()
    screenshot(page, "20-quiz-attempt-en")

    attempt_id = the_attempt(live_server).id
    answers = right_answers(live_server, attempt_id)
    first_page = on_page(page, answers)
    # Answer two questions of the first page; background saving sends them.
    for question_id in first_page[:2]:
        fill(page, answers[question_id])
    expect(page.locator(".autosave-status")).to_contain_text("Your answers are saved.")
    # The status may tell of the first answer's save while the second's is still on its way
    # (the answers were chosen more than the save's 300 ms apart); a reload then races it.
    assert stored_answers_soon(live_server, attempt_id, 2) == 2
    page.reload()
    expect(page.get_by_text("Answered 2 of 7 questions.")).to_be_visible()
    for question_id in first_page[2:]:
        fill(page, answers[question_id])
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Question 6 of 7")).to_be_visible()
    context.close()  # the browser is closed before the quiz is finished

    context, page = english_page(browser)
    sign_in(page, base, "officer@example.org")
    page.goto(base + "/learn/example-module/quizzes/check")
    page.get_by_role("link", name="Resume attempt 1").click()
    expect(page.get_by_text("Answered 5 of 7 questions.")).to_be_visible()
    assert the_attempt(live_server).id == attempt_id  # the same attempt, resumed
    for question_id in on_page(page, answers):
        fill(page, answers[question_id])
    page.get_by_role("button", name="Check and submit").click()
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()

    second_tab = context.new_page()
    second_tab.goto(page.url)  # the same check page, open in another tab
    page.get_by_role("button", name="Submit my answers").dblclick()
    expect(page.locator("h1")).to_have_text("Result of attempt 1")
    second_tab.get_by_role("button", name="Submit my answers").click()
    expect(second_tab.get_by_text("This attempt had already been submitted.")).to_be_visible()
    expect(page.locator(".result-summary")).to_contain_text("Your score: 100%")
    screenshot(page, "21-quiz-result-en")

    attempt = the_attempt(live_server)  # exactly one attempt ...
    assert attempt.state == AttemptState.GRADED and attempt.percent == 100.0
    with live_server.app_context():
        passed = db.session.scalars(
            select(LearningEvent).where(LearningEvent.verb == Verb.PASSED)
        ).all()
    assert len(passed) == 1  # ... graded once
    page.goto(base + "/learn/example-module/quizzes/check")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Passed")
    screenshot(page, "24-quiz-history-en")
    context.close()


def test_trainer_marks_the_essay_and_the_learner_sees_the_comment(
    live_server, browser, make_user, module_copy
):
    from tests.conftest import sync_example

    set_quiz(module_copy, draw=None, shuffle_questions=False, show_answers="after_submit")
    sync_example(live_server, module_copy)
    learner = make_user(email="officer@example.org", name="Officer Ivanov", locale="en")
    trainer = make_user(email="trainer@example.org", name="Trainer Petrova", role=Role.TRAINER)
    enrol(live_server, trainer.id, learner.id)
    base = live_server.config["LIVE_URL"]

    context, page = english_page(browser)
    sign_in(page, base, "officer@example.org")
    page.goto(base + "/learn/example-module/quizzes/check")
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Next page").click()
    page.get_by_label("Describe how you would tell the victim").fill(ESSAY_TEXT)
    page.get_by_role("button", name="Check and submit").click()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("A trainer will read and mark your written answers")).to_be_visible()

    trainer_context, trainer_page = english_page(browser)
    sign_in(trainer_page, base, "trainer@example.org")
    trainer_page.get_by_role("link", name="Essays to mark").first.click()
    trainer_page.get_by_role("link", name="Mark Officer Ivanov").click()
    expect(trainer_page.get_by_text(ESSAY_TEXT)).to_be_visible()
    trainer_page.get_by_label("Score, from 0 to 3").fill("3")
    trainer_page.get_by_label("Comment for the learner").fill("Clear and safe. Well done.")
    screenshot(trainer_page, "22-quiz-review-en")
    trainer_page.get_by_role("button", name="Save the marks").click()
    expect(trainer_page.get_by_text("No answers are waiting to be marked.")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Clear and safe. Well done.")).to_be_visible()
    expect(page.locator(".result-summary")).to_contain_text("Your score: 27%")
    screenshot(page, "23-quiz-result-graded-en")
    assert the_attempt(live_server).state == AttemptState.GRADED
    trainer_context.close()
    context.close()


def test_a_stale_tab_does_not_overwrite_and_a_hidden_page_flushes(
    live_server, browser, make_user, module_copy
):
    context, first = attempt_page(live_server, browser, make_user, module_copy)
    base = live_server.config["LIVE_URL"]
    second = context.new_page()
    second.goto(first.url)

    # The second tab answers; the first, opened before, tries to change that answer.
    second.locator('[name="a.first-priority"][value="safety"]').check()
    expect(second.locator(".autosave-status")).to_contain_text("answers are saved")
    first.locator('[name="a.first-priority"][value="paperwork"]').check()
    expect(first.locator(".autosave-status")).to_contain_text("changed in another window")
    screenshot(first, "23-quiz-stale-tab-en")
    assert attempts.answered(the_attempt_with_answers(live_server)) == {"first-priority": "safety"}
    # The first tab goes on answering: its other answers are saved, the stale one never is.
    first.locator('[name="a.what-to-record"][value="scene"]').check()
    answered = answered_soon(
        live_server, lambda a: "what-to-record" in a, "the first tab's other answer was not saved"
    )
    expect(first.locator(".autosave-status")).to_contain_text("changed in another window")
    assert answered["first-priority"] == "safety"

    # An answer given just before leaving the page is sent as the page hides.
    second.locator('[name="a.interview-together"][value="false"]').check()
    second.goto(base + "/learn/example-module/")
    answered_soon(
        live_server,
        lambda a: "interview-together" in a,
        "the answer given before leaving was not saved",
    )
    second.goto(first.url)
    expect(second.locator('[name="a.interview-together"][value="false"]')).to_be_checked()
    context.close()


def test_an_answer_given_just_before_a_reload_is_shown_after_it(
    live_server, browser, make_user, module_copy
):
    """The save that leaves with the page reaches the server after the reloaded page was read:
    the page still shows the answer (kept in the tab), saves it, and it can be changed again
    without being told that another window changed it."""
    context, page = attempt_page(live_server, browser, make_user, module_copy)
    save = live_server.view_functions["quiz.save"]

    def late(*args, **kwargs):
        time.sleep(1)  # the reload's page is read meanwhile (the server runs a thread each)
        return save(*args, **kwargs)

    live_server.view_functions["quiz.save"] = late
    page.locator('[name="a.first-priority"][value="safety"]').check()
    page.reload()  # within the autosave's 300 ms: the save leaves with the page
    expect(page.locator('[name="a.first-priority"][value="safety"]')).to_be_checked()
    status = page.locator(".autosave-status")
    expect(status).to_contain_text("answers are saved", timeout=10000)
    assert attempts.answered(the_attempt_with_answers(live_server)) == {"first-priority": "safety"}
    live_server.view_functions["quiz.save"] = save

    page.locator('[name="a.first-priority"][value="paperwork"]').check()
    changed = {"first-priority": "paperwork"}
    answered_soon(live_server, changed.__eq__, "the changed answer was not saved")
    assert "another window" not in status.text_content()
    expect(status).to_contain_text("answers are saved")
    context.close()


def test_an_answer_changed_while_a_save_is_on_its_way_survives_a_reload(
    live_server, browser, make_user, module_copy
):
    """The first answer's save is stored but its reply has not come when the learner changes
    the answer and reloads: the change, never sent, is put back on the reloaded page (which
    shows the first answer, one revision on) and saved."""
    context, page = attempt_page(live_server, browser, make_user, module_copy)
    save = live_server.view_functions["quiz.save"]

    def slow_reply(*args, **kwargs):
        reply = save(*args, **kwargs)  # stored and committed ...
        time.sleep(1.5)  # ... the reply still on its way
        return reply

    live_server.view_functions["quiz.save"] = slow_reply
    page.locator('[name="a.first-priority"][value="safety"]').check()
    first = {"first-priority": "safety"}
    answered_soon(live_server, first.__eq__, "the first answer was not saved")
    page.locator('[name="a.first-priority"][value="paperwork"]').check()
    page.reload()
    expect(page.locator('[name="a.first-priority"][value="paperwork"]')).to_be_checked()
    changed = {"first-priority": "paperwork"}
    answered_soon(live_server, changed.__eq__, "the changed answer was not saved")
    live_server.view_functions["quiz.save"] = save
    expect(page.locator(".autosave-status")).to_contain_text("answers are saved")
    context.close()


def the_attempt_with_answers(app) -> QuizAttempt:
    with app.app_context():
        attempt = db.session.scalars(select(QuizAttempt)).one()
        attempt.answers  # noqa: B018  (load them before the context closes)
        return attempt


def test_a_save_lost_on_the_way_is_sent_again(live_server, browser, make_user, module_copy):
    context, page = attempt_page(live_server, browser, make_user, module_copy)

    # The first save never reaches the server (a dropped connection), the second fails there.
    lost = []

    def drop_two(route):
        if route.request.method == "POST" and len(lost) < 2:
            lost.append(route.request.method)
            if len(lost) == 1:
                return route.abort()
            return route.fulfill(status=502, body="Bad Gateway")
        return route.continue_()

    page.route("**/quizzes/check/**", drop_two)
    page.locator('[name="a.first-priority"][value="safety"]').check()
    expect(page.locator(".autosave-status")).to_contain_text("Could not save")
    # Sent again after 2 s, then 4 s, with nothing for the learner to do.
    expect(page.locator(".autosave-status")).to_contain_text("answers are saved", timeout=15000)
    assert len(lost) == 2
    assert attempts.answered(the_attempt_with_answers(live_server)) == {"first-priority": "safety"}
    context.close()
