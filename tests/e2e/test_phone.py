"""Issue 18 on a 375-pixel phone: no sideways scrolling on lesson, quiz and scenario pages, a
compact header, the case file reachable from the top, and the side-by-side lesson toggled per
section; the header's menu (a <details>, no script needed) fits, opens by touch and by keyboard,
its links work, and Escape or a tap outside closes it (trainer/static/js/menu.js); the
trainer's, the admin's and the classroom's main pages fit in Russian and in English.
Screenshots land in tests/e2e/screenshots/ (80-...)."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import sync_example
from tests.e2e.conftest import screenshot
from tests.e2e.test_lessons import sign_in
from trainer.extensions import db
from trainer.learning import classroom as room
from trainer.learning.content import content_of
from trainer.learning.demo_cohort import create_demo_cohort
from trainer.models import Module, Role, User

PHONE = {"width": 375, "height": 740}
# The elements that stick out past the viewport, for a readable failure message.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .slice(0, 8)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="ru-RU", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def officer_on_phone(live_server, make_user, phone):
    sync_example(live_server)
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]
    sign_in(phone, base, "officer@example.org")
    return phone, base


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (width, page.url, page.evaluate(WIDEST))


def test_lesson_quiz_and_scenario_fit_a_375px_phone(officer_on_phone):
    page, base = officer_on_phone
    page.goto(base + "/learn/example-module/lessons/intro")
    expect(page.locator(".lesson-body")).to_be_visible()
    assert_no_sideways_scroll(page)
    header = page.locator(".site-header").bounding_box()["height"]
    assert header <= PHONE["height"] * 0.16, header  # was a quarter of the screen
    screenshot(page, "80-phone-lesson-ru")

    page.goto(base + "/learn/example-module/lessons/at-the-scene?show=text")
    assert_no_sideways_scroll(page)

    page.goto(base + "/learn/example-module/quizzes/check")
    assert_no_sideways_scroll(page)
    page.locator("form[action$='/start'] button[type=submit]").click()
    expect(page.locator(".question").first).to_be_visible()
    assert_no_sideways_scroll(page)
    screenshot(page, "81-phone-quiz-ru")
    page.goto(page.url.split("?")[0].rstrip("/") + "/review")
    page.locator("form.submit-form button[type=submit]").click()
    expect(page.locator(".result-summary")).to_be_visible()
    assert_no_sideways_scroll(page)  # the result, with its tables of matches
    actions = page.locator(".result-actions").bounding_box()
    assert actions["y"] < PHONE["height"], actions  # the actions on the first screen
    screenshot(page, "85-phone-quiz-result-ru")

    page.goto(base + "/learn/example-module/scenarios/call")
    assert_no_sideways_scroll(page)
    page.locator(".run-actions form button[type=submit]").click()
    expect(page.locator(".scene-text")).to_be_visible()
    assert_no_sideways_scroll(page)
    link = page.locator(".case-file-link a")
    expect(link).to_be_visible()
    assert link.bounding_box()["y"] < page.locator("form.act").bounding_box()["y"]
    link.click()
    expect(page.locator("#case-file-title")).to_be_in_viewport()
    screenshot(page, "82-phone-scenario-ru")


def row_tops(page) -> list[tuple[float, float]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.section-row')].map(row => [
             row.querySelector('.column-ru').getBoundingClientRect().top,
             row.querySelector('.column-en').getBoundingClientRect().top])"""
    )


def test_side_by_side_rows_start_together_at_each_heading(live_server, make_user, page):
    sync_example(live_server)
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]
    sign_in(page, base, "officer@example.org")
    page.goto(base + "/learn/example-module/lessons/intro?view=both")
    rows = page.locator(".section-row")
    assert rows.count() >= 3  # the titles, then one row per heading
    for ru, en in row_tops(page):
        assert abs(ru - en) < 1, (ru, en)
    headings = page.locator(".section-row .column-en .lesson-body > h2:first-child")
    assert headings.count() >= 2
    screenshot(page, "83-lesson-both-aligned")


def test_side_by_side_on_a_phone_toggles_each_section(officer_on_phone):
    page, base = officer_on_phone
    page.goto(base + "/learn/example-module/lessons/intro?view=both")
    assert_no_sideways_scroll(page)
    second = page.locator(".section-row").nth(1)
    third = page.locator(".section-row").nth(2)
    expect(second.locator(".column-ru")).to_be_visible()  # the page's language first
    expect(second.locator(".column-en")).to_be_hidden()
    second.locator("label", has_text="English").click()
    expect(second.locator(".column-en")).to_be_visible()
    expect(second.locator(".column-ru")).to_be_hidden()
    expect(third.locator(".column-ru")).to_be_visible()  # only that section switched
    expect(third.locator(".column-en")).to_be_hidden()
    assert_no_sideways_scroll(page)
    screenshot(page, "84-phone-lesson-both-toggled")


def test_side_by_side_keeps_the_content_warning_first(officer_on_phone):
    page, base = officer_on_phone
    page.goto(base + "/learn/example-module/lessons/at-the-scene?view=both")
    expect(page.locator(".callout-warning").first).to_be_visible()
    expect(page.locator(".lesson-body")).to_have_count(0)
    page.locator(".continue-lesson a").click()
    expect(page.locator(".section-row .lesson-body").first).to_be_visible()
    assert "view=both" in page.url and "show=text" in page.url


def test_catalogue_training_and_verification_fit_a_phone(officer_on_phone):
    page, base = officer_on_phone
    for path in ("/learn/", "/learn/my", "/learn/example-module/", "/verify?code=2026-000001"):
        page.goto(base + path)
        assert_no_sideways_scroll(page)
    expect(page.locator("#result")).to_be_visible()
    screenshot(page, "86-phone-verify-ru")


# Every visible part of the header, measured: none may end past the screen's right edge.
HEADER_PARTS = """() => [...document.querySelectorAll('.site-header *')]
  .filter(e => e.checkVisibility({visibilityProperty: true}))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(e => e.tagName + ' ' + (e.innerText || '').trim().slice(0, 30))"""


def assert_header_fits(page) -> None:
    assert page.evaluate(HEADER_PARTS) == [], page.url
    height = page.locator(".site-header").bounding_box()["height"]
    assert height <= PHONE["height"] * 0.16, (height, page.url)


def test_the_menu_fits_and_opens_by_touch_and_by_keyboard(live_server, make_user, phone):
    make_user(role=Role.ADMIN, email="admin@example.org", name="Ольга Администратор")
    base = live_server.config["LIVE_URL"]
    phone.goto(base + "/login")
    assert_header_fits(phone)
    expect(phone.locator(".site-header .nav-join")).to_be_in_viewport()  # the room's way in
    sign_in(phone, base, "admin@example.org")
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    assert_header_fits(phone)  # the longest menu: an admin's, in Russian
    account = phone.get_by_role("link", name="Моя учётная запись")
    expect(account).to_be_hidden()

    phone.get_by_text("Меню", exact=True).click()
    expect(account).to_be_in_viewport()
    assert_no_sideways_scroll(phone)
    box = account.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(phone, "87-phone-menu-open-ru")
    account.click()
    expect(phone).to_have_url(base + "/account/")

    # The keyboard: Tab to "Menu", Enter opens it, Tab reaches its first link, Enter follows it.
    phone.locator(".menu > summary").focus()
    phone.keyboard.press("Enter")
    phone.keyboard.press("Tab")
    first = phone.locator(".menu .nav a").first
    expect(first).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(base + "/learn/my")


def roles_site(app, make_user) -> dict:
    """A trainer's cohort of a few dozen learners, an admin, and a learner in a live class."""
    sync_example(app)
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга Тренер")
    make_user(role=Role.ADMIN, email="admin@example.org", name="Пётр Администратор")
    learner = make_user(email="learner@example.org", name="Анна Смирнова")
    with app.app_context():
        cohort_id = create_demo_cohort(36, db.session.get(User, trainer.id), seed=18).id
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        scenario = content_of(module.latest_version).scenarios["call"]
        trainer_row = db.session.get(User, trainer.id)
        live = room.start_session(
            trainer_row, module.latest_version, scenario, counts_progress=False
        )
        room.join(live, db.session.get(User, learner.id), "ru")
        code = live.code
        db.session.commit()
    return {
        "trainer@example.org": [f"/cohorts/{cohort_id}/", f"/cohorts/{cohort_id}/members"],
        "admin@example.org": ["/admin/audit", "/admin/users"],
        "learner@example.org": [f"/class/{code}"],
    }


def test_each_roles_main_pages_fit_a_phone_in_both_languages(live_server, make_user, browser):
    pages = roles_site(live_server, make_user)
    base = live_server.config["LIVE_URL"]
    for email, paths in pages.items():
        context = browser.new_context(
            locale="ru-RU", viewport=PHONE, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        sign_in(page, base, email)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for lang, other in (("ru", "English"), ("en", None)):
            for path in paths:
                page.goto(base + path)
                assert page.locator("html").get_attribute("lang") == lang, path
                assert_no_sideways_scroll(page)
                assert_header_fits(page)
            screenshot(page, f"88-phone-{email.split('@')[0]}-{lang}")
            if other:  # the switcher in the header, then the same pages again
                page.get_by_role("button", name=other).click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
        context.close()


def test_the_menu_closes_on_escape_and_on_a_tap_outside(live_server, phone):
    # trainer/static/js/menu.js; without script the <details> still opens and closes by itself.
    base = live_server.config["LIVE_URL"]
    phone.goto(base + "/login")
    button = phone.locator(".menu > summary")
    verify = phone.get_by_role("link", name="Проверка сертификата")

    button.click()
    expect(verify).to_be_in_viewport()
    phone.keyboard.press("Tab")  # into the open menu
    expect(phone.locator(".menu .nav a").first).to_be_focused()
    phone.keyboard.press("Escape")
    expect(verify).to_be_hidden()
    expect(button).to_be_focused()  # back on "Menu": Enter opens it again
    phone.keyboard.press("Enter")
    expect(verify).to_be_in_viewport()

    phone.locator(".site-footer p").tap()  # outside the menu, on no link or button
    expect(verify).to_be_hidden()
    expect(phone).to_have_url(base + "/login")

    button.tap()  # a tap on "Menu" or inside the open menu leaves it to the <details>
    expect(verify).to_be_in_viewport()
    phone.locator(".menu .nav").tap(position={"x": 5, "y": 2})
    expect(verify).to_be_in_viewport()
    button.tap()
    expect(verify).to_be_hidden()

    # Escape with the menu closed leaves the focus where it is.
    email = phone.get_by_label("Электронная почта")
    email.focus()
    phone.keyboard.press("Escape")
    expect(email).to_be_focused()
