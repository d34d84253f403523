"""On a phone the progress matrix's header leaves room for learners: the module titles wrap
in columns wide enough that the header takes well under half of the scrolling box (it took
over half, 231 of 444 px, and the box opened on a learner and a half)."""

from tests.conftest import TESTS, sync_example
from tests.e2e.test_accessibility import sign_in
from trainer.extensions import db
from trainer.learning.demo_cohort import create_demo_cohort
from trainer.models import Role, User


def test_the_matrix_header_leaves_room_for_learners_on_a_phone(live_server, make_user, browser):
    for slug in ("harmony-police", "idap-perpetrator-programmes"):  # long titles, as in use
        sync_example(live_server, TESTS.parent / "modules" / slug)
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга", locale="ru")
    with live_server.app_context():
        cohort_id = create_demo_cohort(12, db.session.get(User, trainer.id), seed=3).id
        db.session.commit()
    base = live_server.config["LIVE_URL"]
    context = browser.new_context(locale="ru-RU", viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, base, "trainer@example.org")
    page.goto(f"{base}/cohorts/{cohort_id}/")

    box = page.locator(".table-box").bounding_box()
    head = page.locator(".matrix thead").bounding_box()
    assert head["height"] < 0.4 * box["height"]
    name = page.locator(".matrix thead th").first.bounding_box()
    assert name["width"] < 0.45 * 375  # the learner's column stays narrow, beside a module
    context.close()
