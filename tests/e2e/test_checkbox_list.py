"""A field of several checkboxes (the cohort's professions) reads as a list of choices on a
phone and a wide screen: each box beside its own label, in the body text's weight, no bullets.
The field's browser default was a bulleted list with each bold label below its box."""

import pytest

from tests.conftest import PASSWORD
from trainer.models import Role


@pytest.mark.parametrize("width", [375, 1280])
def test_each_profession_box_sits_beside_its_label(live_server, make_user, browser, width):
    make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга", locale="ru")
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": 900})
    page = context.new_page()
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/login")
    page.locator("#email").fill("trainer@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.goto(base + "/cohorts/new")

    choices = page.locator("#professions li")
    assert choices.count() == 6
    assert page.locator("#professions").evaluate("e => getComputedStyle(e).listStyleType") == "none"
    for index in range(choices.count()):
        box = choices.nth(index).locator("input[type=checkbox]").bounding_box()
        label = choices.nth(index).locator("label")
        text = label.bounding_box()
        assert text["x"] > box["x"] + box["width"]  # to the right of its box
        assert text["y"] < box["y"] + box["height"] and box["y"] < text["y"] + text["height"]
        assert int(label.evaluate("e => getComputedStyle(e).fontWeight")) < 600
    context.close()
