"""The header shows the section a page is in: on a cohort's page the "Cohorts" link is set in
bold, as on the list of cohorts, and the other links are not (it was marked on the list only)."""

from tests.conftest import PASSWORD
from tests.web.test_cohorts import make_cohort
from trainer.models import Role

WEIGHT = "e => Number(getComputedStyle(e).fontWeight)"


def test_a_cohorts_page_shows_cohorts_as_the_current_section(live_server, make_user, page):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга")
    cohort_id = make_cohort(live_server, [trainer.id])
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/login")
    page.locator("#email").fill("trainer@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)

    for url, current in ((f"/cohorts/{cohort_id}/", "true"), ("/cohorts/", "page")):
        page.goto(base + url)
        cohorts = page.locator('.site-header a[href="/cohorts/"]')
        assert cohorts.get_attribute("aria-current") == current
        assert cohorts.evaluate(WEIGHT) >= 700
        assert page.locator('.site-header a[href="/learn/my"]').evaluate(WEIGHT) < 700
