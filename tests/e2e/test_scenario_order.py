"""Two runs of one scenario show the choices in different orders; a reload keeps a run's order.

The decision at the door has two choices; the record decision three. Orders are read from the
buttons a learner sees, in Debian's Chromium."""

from playwright.sync_api import expect

from tests.conftest import sync_example
from tests.e2e.conftest import screenshot
from tests.e2e.test_lessons import sign_in

LANDING = "/learn/example-module/scenarios/call"


def start_run(page, base) -> str:
    """A new run from the landing page, taken to the first decision; its address."""
    page.goto(base + LANDING)
    page.locator(".run-actions form button[type=submit]").click()
    expect(page.locator(".scene-text")).to_contain_text("Дверь открывает мужчина")
    page.locator("form.act button[type=submit]").click()
    expect(page.locator(".scene-text")).to_contain_text("Как вы поступите?")
    return page.url


def choices(page) -> list[str]:
    expect(page.locator("button.choice").first).to_be_visible()
    return page.locator("button.choice").evaluate_all("bs => bs.map(b => b.value)")


def test_two_runs_show_different_orders_and_a_reload_the_same(live_server, make_user, page):
    sync_example(live_server)
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]
    sign_in(page, base, "officer@example.org")

    first_url = start_run(page, base)
    first = choices(page)
    screenshot(page, "55-scenario-order-run-1")
    second_url = start_run(page, base)
    second = choices(page)
    screenshot(page, "56-scenario-order-run-2")
    assert first_url != second_url
    assert sorted(first) == sorted(second) == ["leave", "separate"]
    assert first != second  # a new run, a new order

    page.goto(first_url)
    assert choices(page) == first
    page.reload()
    assert choices(page) == first  # frozen with the run

    # The three choices of the next decision keep their order through a reload as well.
    page.get_by_role("button", name="Войти, убедиться, что все в безопасности").click()
    expect(page.locator("button.choice")).to_have_count(3)
    record = choices(page)
    page.reload()
    assert choices(page) == record
