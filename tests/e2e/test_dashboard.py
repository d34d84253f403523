"""Issue 18: the cohort dashboard of 1,000 learners, in Russian, at 1280 pixels and on a
375-pixel phone: the attention counts filter, a column sorts, pages keep the filter, the
search finds by name, and the export downloads what is shown. Screenshots: 64-... to 67-...
in tests/e2e/screenshots/."""

import csv
import io
from urllib.parse import parse_qs, urlparse

import openpyxl
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.web.test_cohorts import sync_five_modules
from trainer.extensions import db
from trainer.learning.demo_cohort import create_demo_cohort
from trainer.models import Assignment, Role, User

LEARNERS = 1000
COHORT = f"Демо-группа на {LEARNERS} слушателей"


def query(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def row_names(page) -> list[str]:
    return page.locator("table.matrix tbody th[scope=row] a").all_inner_texts()


def main_text(page) -> str:
    """The page's text with Russian digit groups ("1 000") written with a plain space."""
    return page.locator("main").inner_text().replace("\u00a0", " ").replace("\u202f", " ")


def sign_in_russian(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Электронная почта").fill("trainer@example.org")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    # Signed in: "Выйти" is in the header (on a phone, inside its menu).
    expect(page.locator(".site-header form[action$='/logout']")).to_have_count(1)


def test_dashboard_of_1000_learners_in_russian(live_server, make_user, browser, tmp_path):
    sync_five_modules(live_server, tmp_path)
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга", locale="ru")
    with live_server.app_context():
        cohort_id = create_demo_cohort(LEARNERS, db.session.get(User, trainer.id), seed=18).id
        db.session.commit()
        module_id = db.session.scalars(
            select(Assignment.module_id)
            .where(Assignment.cohort_id == cohort_id)
            .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)
        ).first()
    base = live_server.config["LIVE_URL"]
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    sign_in_russian(page, base)

    # The home page leads to the cohorts; the numbers come before the table.
    page.get_by_role("link", name="Группы и их успеваемость").click()
    page.get_by_role("link", name=COHORT).click()
    rows = page.locator("table.matrix tbody tr")
    expect(rows).to_have_count(50)
    assert "Слушатели с 1 по 50 из 1 000" in main_text(page)
    assert "Страница 1 из 20" in main_text(page)
    assert (
        page.locator(".stats").bounding_box()["y"] < page.locator(".table-box").bounding_box()["y"]
    )
    expect(page.locator(".dashboard-charts svg.chart")).to_have_count(2)
    screenshot(page, "64-dashboard-1000-ru")

    # A count filters the table.
    overdue = page.locator(".stats .stat-overdue a")
    expected = int(overdue.locator(".num").inner_text().replace("\u00a0", "").replace("\u202f", ""))
    assert 50 < expected < LEARNERS
    with page.expect_navigation():  # the address and rows read once the page has loaded
        overdue.click()
    assert query(page)["status"] == "overdue"
    expect(page.locator(".stats .stat-overdue a")).to_have_attribute("aria-current", "true")
    expect(rows).to_have_count(50)
    for n in range(rows.count()):
        expect(rows.nth(n).locator("td.overdue").first).to_be_visible()

    # A module's column sorts, ascending then descending, and keeps the filter.
    heading = page.locator("table.matrix thead th").nth(2).locator("a")
    with page.expect_navigation():
        heading.click()
    assert query(page) == {"status": "overdue", "sort": f"m{module_id}"}
    heading = page.locator("table.matrix thead th").nth(2)
    expect(heading).to_have_attribute("aria-sort", "ascending")
    heading.locator("a").click()
    expect(page.locator("table.matrix thead th").nth(2)).to_have_attribute(
        "aria-sort", "descending"
    )
    percents = [
        int(text.split("·")[1].split("%")[0])
        for text in page.locator("table.matrix tbody tr td:nth-child(3)").all_inner_texts()
    ]
    assert percents == sorted(percents, reverse=True) and percents[0] > 0

    # Paging keeps the filter and the sort in the address.
    with page.expect_navigation():
        page.get_by_role("link", name="Далее").click()
    assert query(page) == {
        "status": "overdue",
        "sort": f"m{module_id}",
        "dir": "desc",
        "page": "2",
    }
    assert f"Слушатели с 51 по 100 из {expected:,}".replace(",", " ") in main_text(page)
    screenshot(page, "65-dashboard-1000-sorted-page-2-ru")

    # The search finds by name; the filters stay.
    page.get_by_label("Имя или электронная почта").fill("Волков Иван")
    with page.expect_navigation():
        page.get_by_role("button", name="Показать").first.click()
    assert query(page)["q"] == "Волков Иван" and query(page)["status"] == "overdue"
    assert "page" not in query(page)
    found = row_names(page)
    assert found and all(name.startswith("Волков Иван") for name in found)

    # The export downloads every learner the filters and the search select (all pages).
    page.get_by_label("Файл").select_option("xlsx")
    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать").click()
    path = tmp_path / "export.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(path).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:4] == ("Имя", "Электронная почта", "Профессия", "Модуль")
    names = {line[0] for line in lines[1:]}
    assert names >= set(found) and all(name.startswith("Волков Иван") for name in names)
    assert len(lines) - 1 == len(names) * 5  # one line per learner and module

    page.get_by_label("Файл").select_option("csv-semicolon")
    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][0] == "Имя" and len(table) == len(lines)
    context.close()

    # On a 375-pixel phone: the numbers first, no sideways scrolling of the page, and the
    # table scrolls within its own box.
    phone = browser.new_context(
        locale="ru-RU", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    sign_in_russian(phone, base)
    phone.goto(f"{base}/cohorts/{cohort_id}/")
    expect(phone.locator("table.matrix tbody tr")).to_have_count(50)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    box = phone.locator(".table-box")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    stats = phone.locator(".stats").bounding_box()
    assert stats["y"] < box.bounding_box()["y"] and stats["y"] < 740
    screenshot(phone, "66-dashboard-1000-phone-ru")
    with phone.expect_navigation():
        phone.locator(".stats .stat-failed_twice a").click()
    assert query(phone)["status"] == "failed_twice"
    expect(phone.locator("table.matrix tbody tr").first).to_contain_text("тест дважды не сдан")
    screenshot(phone, "67-dashboard-1000-phone-failed-twice-ru")
    phone.context.close()
