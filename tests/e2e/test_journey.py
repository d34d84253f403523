"""A person signs in, switches to English and back, and signs out, in a real browser."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def test_sign_in_switch_language_sign_out(live_server, make_user, page):
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]

    page.goto(base + "/account/")
    expect(page.locator("h1")).to_have_text("Войти")  # Russian by default, sent to sign in
    screenshot(page, "01-sign-in-ru")

    page.get_by_label("Электронная почта").fill("officer@example.org")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("h1")).to_have_text("Моя учётная запись")  # back to the page asked for
    expect(page.get_by_label("ФИО")).to_have_value("Иван Кузнецов")
    screenshot(page, "02-account-ru")

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(base + "/account/")  # the switcher keeps the page
    expect(page.locator("h1")).to_have_text("My account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "03-account-en")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")  # the preference outlives the session
    expect(page.locator(".flash")).to_contain_text("You have signed out.")
    page.goto(base + "/account/")
    expect(page.locator("h1")).to_have_text("Sign in")
    screenshot(page, "04-signed-out-en")


def test_keyboard_user_reaches_content_through_the_skip_link(live_server, page):
    page.goto(live_server.config["LIVE_URL"] + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к основному содержанию")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_layout_fits_a_phone(live_server, browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.config["LIVE_URL"] + "/login")
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "05-sign-in-phone")
    context.close()
    assert width <= 360
