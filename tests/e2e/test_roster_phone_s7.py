"""The roster's preview on a 375-pixel phone: a cell without spaces (a 300-letter name, a long
address) wraps inside its card. It ran the page 3,300 pixels wide, the cards off the screen."""

from tests.conftest import PASSWORD
from tests.web.test_cohorts import make_cohort
from trainer.models import Role

ROSTER = (
    "name,email,profession\n"
    + "X" * 300
    + ",long@example.org,police\n"
    + "Anna,anna.maria.very-long-department-name.training-centre@example.org,police\n"
)


def test_a_roster_preview_fits_a_phone(live_server, make_user, browser, tmp_path):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    cohort_id = make_cohort(live_server, [trainer.id])
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 800})
    page = context.new_page()
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/login")
    page.locator("#email").fill("trainer@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.goto(f"{base}/cohorts/{cohort_id}/enrol")
    page.locator("input[type=file]").set_input_files(str(roster))
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("text=Check the enrolment")
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1]
    context.close()
