"""A police officer finds a module, reads lessons in Russian, and sees progress in My training."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD, sync_example
from tests.e2e.conftest import screenshot


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()


def test_officer_reads_lessons_and_resumes(live_server, make_user, page):
    sync_example(live_server)
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]
    sign_in(page, base, "officer@example.org")

    page.get_by_role("link", name="Модули").first.click()
    page.get_by_role("link", name="Выезд на вызов о домашнем насилии").click()
    expect(page.locator("h1")).to_have_text("Выезд на вызов о домашнем насилии")
    screenshot(page, "10-module-ru")

    page.get_by_role("link", name="Начать модуль").click()
    expect(page.locator("h1")).to_have_text("Первые минуты вызова")
    screenshot(page, "11-lesson-ru")
    page.get_by_role("button", name="Отметить как изученный и продолжить").click()

    expect(page.locator("h1")).to_have_text("На месте происшествия")
    expect(page.locator(".callout-warning").first).to_be_visible()
    # The warning comes alone: no text and no "done" button until the learner reads on.
    expect(page.locator(".lesson-body")).to_have_count(0)
    expect(page.get_by_role("button", name="Отметить как изученный и продолжить")).to_have_count(0)
    screenshot(page, "12-lesson-warning-ru")
    page.get_by_role("link", name="Перейти к уроку").click()
    expect(page.locator(".lesson-body")).to_be_visible()
    expect(page.get_by_role("button", name="Отметить как изученный и продолжить")).to_be_visible()

    page.get_by_role("link", name="Показать русский и английский текст рядом").click()
    expect(page.locator("section[lang=en] h2.column-title")).to_have_text("At the scene")
    screenshot(page, "13-lesson-both")

    page.get_by_role("link", name="Моё обучение").first.click()
    expect(page.locator(".card")).to_contain_text("Выполнено: 25%")
    page.get_by_role("link", name="Продолжить").click()  # resumes at the next step
    expect(page.locator("h1")).to_have_text("На месте происшествия")
