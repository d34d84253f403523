"""A trainer enrols people from a Russian Excel file, assigns a module and reads the dashboard."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD, sync_example
from tests.e2e.conftest import screenshot
from trainer.extensions import db
from trainer.learning.demo_cohort import create_demo_cohort
from trainer.models import Role, User

ROSTER = (
    "ФИО;Email;Профессия\n"
    "Иван Кузнецов;ivan.k@example.org;полиция\n"
    "Мария Волкова;maria.v@example.org;судья\n"
    "Без почты;;судья\n"
).encode("cp1251")


def test_trainer_enrols_assigns_and_reads_the_dashboard(live_server, make_user, browser, tmp_path):
    sync_example(live_server)
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга", locale="en")
    with live_server.app_context():
        cohort = create_demo_cohort(40, db.session.get(User, trainer.id), seed=7)
        db.session.commit()
        cohort_id = cohort.id
    base = live_server.config["LIVE_URL"]
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("trainer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Cohorts").first.click()
    page.get_by_role("link", name="Демо-группа на 40 слушателей").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(40)
    expect(page.locator("table.matrix td.overdue").first).to_be_visible()
    screenshot(page, "60-cohort-dashboard-en")

    page.get_by_label("Status", exact=True).select_option("overdue")
    with page.expect_navigation():  # counted on the filtered page once it has loaded
        page.get_by_role("button", name="Show").first.click()
    rows = page.locator("table.matrix tbody tr")
    assert 0 < rows.count() < 40
    expect(rows.first.locator("td.overdue")).to_be_visible()

    expect(page.locator(".dashboard-charts svg.chart")).to_have_count(2)  # on the dashboard
    page.locator(".dashboard-charts").get_by_role("link", name="Details").click()
    expect(page.locator("svg.chart")).to_have_count(3)
    screenshot(page, "61-cohort-assignment-charts-en")

    roster = tmp_path / "группа.csv"
    roster.write_bytes(ROSTER)
    page.goto(f"{base}/cohorts/{cohort_id}/enrol")
    page.get_by_label("Roster file (CSV)").set_input_files(str(roster))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("2 new accounts will be created")).to_be_visible()
    expect(page.get_by_text("The email is empty.")).to_be_visible()
    screenshot(page, "62-cohort-enrol-preview-en")
    page.get_by_role("button", name="Confirm the enrolment").click()  # with a real CSRF token
    expect(page.get_by_text("2 accounts created.")).to_be_visible()
    page.get_by_role("button", name="Create the sheet of activation links").click()
    row = page.get_by_role("row").filter(has_text="ivan.k@example.org")
    link = row.locator("code").first.inner_text()
    screenshot(page, "63-cohort-activation-sheet-en")
    page.get_by_role("link", name="Back to the members").click()
    expect(page.get_by_role("link", name="Иван Кузнецов")).to_be_visible()
    context.close()

    # The imported person opens their own link, chooses a password and is signed in.
    person = browser.new_context(locale="en-US").new_page()
    person.goto(link)
    expect(person.get_by_text("ivan.k@example.org")).to_be_visible()
    person.get_by_label("New password").fill("a-long-new-password")
    person.get_by_label("Repeat the password").fill("a-long-new-password")
    person.get_by_role("button", name="Activate my account").click()
    expect(person.get_by_text("Your account is ready.")).to_be_visible()
    person.context.close()
    stranger = browser.new_context(locale="en-US").new_page()
    stranger.goto(link)  # used once: it does not work again
    expect(
        stranger.get_by_role("heading", name="This activation link does not work")
    ).to_be_visible()
    stranger.context.close()
