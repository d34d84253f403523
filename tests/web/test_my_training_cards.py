""" "My training": a card is rendered once per module version, language and state and shared
(trainer/learn/fragments.py, training_card); each learner still sees their own dates and
certificate. Assignments show for a learner whose cohort assigns, and only while they count in
it (learners_training asks whether anything is assigned before the assignments are read)."""

import re
from datetime import UTC, date, datetime, timedelta

from flask_babel import force_locale, format_date
from sqlalchemy import select, update

from tests.conftest import sign_in, sync_example
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import assign, make_cohort
from trainer.extensions import db
from trainer.models import CohortMember, Profession, Progress
from trainer.models.types import utcnow


def main(page: str) -> str:
    return page[page.index('<main id="content"') : page.index("</main>")]


def set_times(app, user, updated: datetime, completed: datetime) -> None:
    with app.app_context():
        db.session.execute(
            update(Progress)
            .where(Progress.user_id == user.id)
            .values(updated_at=updated, completed_at=completed)
        )
        db.session.commit()


def test_shared_cards_show_each_learners_own_dates_and_certificate(app, make_user):
    sync_example(app)
    first, second = (make_user(profession=Profession.POLICE, locale="en") for _ in range(2))
    serials = [complete_example(app, user).serial for user in (first, second)]
    set_times(
        app, first, datetime(2026, 3, 2, 9, 15, tzinfo=UTC), datetime(2026, 3, 1, 8, tzinfo=UTC)
    )
    set_times(
        app, second, datetime(2026, 5, 6, 22, 40, tzinfo=UTC), datetime(2026, 5, 5, 22, tzinfo=UTC)
    )
    pages = []
    for user in (first, second):
        client = app.test_client()
        sign_in(client, user)
        pages.append(main(client.get("/learn/my").text))
    assert "Completed on March 1, 2026." in pages[0] and "Last activity: 3/2/26, 12:15" in pages[0]
    # Moscow time: the 6th and the 7th.
    assert "Completed on May 6, 2026." in pages[1] and "Last activity: 5/7/26, 1:40" in pages[1]
    assert serials[0] in pages[0] and serials[1] in pages[1]
    assert serials[1] not in pages[0] and serials[0] not in pages[1]
    assert "\x00" not in "".join(pages)
    assert len(re.findall(r'<li class="card">', pages[0])) == 1


def test_assignments_show_while_the_learner_counts_in_the_cohort(app, make_user):
    sync_example(app)
    learner = make_user(profession=Profession.POLICE, locale="en")
    client = app.test_client()
    sign_in(client, learner)
    client.get("/learn/example-module/lessons/intro")  # a module started: a row to ask with
    cohort = make_cohort(app, member_ids=[learner.id])
    assign(app, cohort, "example-module")
    assert "Assigned to you" in main(client.get("/learn/my").text)
    with app.app_context():
        db.session.execute(
            update(CohortMember)
            .where(CohortMember.user_id == learner.id)
            .values(removed_at=utcnow())
        )
        db.session.commit()
        assert db.session.scalar(select(Progress.id).where(Progress.user_id == learner.id))
    page = main(client.get("/learn/my").text)
    assert "Assigned to you" not in page and "Responding to a domestic violence call" in page


def test_shared_assigned_cards_show_each_learners_cohort_and_due_date(app, make_user):
    sync_example(app)
    first, second = (make_user(profession=Profession.POLICE, locale="ru") for _ in range(2))
    today = date.today()
    cohorts = [make_cohort(app, member_ids=[first.id], name="Тверь <весна>")]
    cohorts.append(make_cohort(app, member_ids=[second.id], name="Омск & осень"))
    assign(app, cohorts[0], "example-module", due_on=today - timedelta(days=2))
    assign(app, cohorts[1], "example-module", due_on=today + timedelta(days=30))
    pages = []
    for user in (first, second):
        client = app.test_client()
        sign_in(client, user)
        pages.append(main(client.get("/learn/my").text))
    assert "Тверь &lt;весна&gt;" in pages[0] and "Омск" not in pages[0]
    assert "Омск &amp; осень" in pages[1] and "Тверь" not in pages[1]
    assert "Просрочено" in pages[0] and "Просрочено" not in pages[1]
    assert 'class="card overdue"' in pages[0] and "overdue" not in pages[1]
    with app.test_request_context("/"), force_locale("ru"):
        dues = [
            format_date(today - timedelta(days=2), "long"),
            format_date(today + timedelta(days=30), "long"),
        ]
    assert f"Срок: {dues[0]}" in pages[0] and f"Срок: {dues[1]}" in pages[1]
    assert dues[1] not in pages[0] and "\x00" not in "".join(pages)
