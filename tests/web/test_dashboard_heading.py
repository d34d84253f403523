"""The dashboard's heading and tabs are kept with its body (trainer/cohorts/dashboard_cache.py):
a change of what the heading shows (the cohort's name, region and dates, its trainers and
their names) shows on the next load, and a reader who may not change the cohort never gets
the buttons of one who may."""

# The cohort fixtures of test_cohorts are imported, and named again as arguments.
# ruff: noqa: F811

from datetime import date

from sqlalchemy import select

from tests.conftest import sign_in
from tests.web.test_cohorts import (  # noqa: F401  (fixtures)
    attention_cohort,
    names,
    trainer,
    trainer_client,
)
from tests.web.test_dashboard_cache import change, load, warm
from trainer.cohorts import views
from trainer.extensions import db
from trainer.models import Cohort, Role, User


def heading(page: str) -> str:
    """The cohort's heading, its facts and its tabs."""
    return page[
        page.index('<p class="breadcrumbs">') : page.index("</nav>", page.index('class="tabs"'))
    ]


def test_a_renamed_or_added_trainer_shows_on_the_next_load(
    app, make_user, attention_cohort, trainer, trainer_client
):
    cohort_id, _module_id = attention_cohort
    assert "Trainers: Ольга" in heading(warm(app, trainer_client, cohort_id))

    change(app, lambda: setattr(db.session.get(User, trainer.id), "name", "Ольга Петрова"))
    page, kept = load(app, trainer_client, cohort_id)
    assert not kept and "Trainers: Ольга Петрова" in heading(page)

    second = make_user(role=Role.TRAINER, email="ivan@example.org", name="Иван")

    def add_trainer():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.trainers.append(db.session.get(User, second.id))

    change(app, add_trainer)
    page = warm(app, trainer_client, cohort_id)
    assert "Иван" in heading(page) and "Ольга Петрова" in heading(page)
    assert len(names(page)) == 4  # the learners as before


def test_the_cohorts_name_region_and_dates_show_on_the_next_load(
    app, attention_cohort, trainer_client
):
    cohort_id, _module_id = attention_cohort
    warm(app, trainer_client, cohort_id)

    def edit():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.name, cohort.region = "Тверь, осень", "Тверь"
        cohort.starts_on, cohort.ends_on = date(2099, 9, 1), date(2099, 12, 31)

    change(app, edit)
    page = warm(app, trainer_client, cohort_id)
    assert "<h1>Тверь, осень</h1>" in heading(page)
    assert "Тверь · Sep 1, 2099 to Dec 31, 2099 ·" in heading(page)

    change(app, lambda: setattr(db.session.get(Cohort, cohort_id), "ends_on", date(2100, 1, 31)))
    page, kept = load(app, trainer_client, cohort_id)
    assert not kept and "Sep 1, 2099 to Jan 31, 2100" in heading(page)


def test_a_reader_who_may_not_change_the_cohort_gets_no_edit_button(
    app, make_user, attention_cohort, trainer_client, monkeypatch
):
    """Both readers see the same learners; the buttons are the reader's own."""
    cohort_id, _module_id = attention_cohort
    admin = make_user(role=Role.ADMIN, email="root@example.org", name="Админ", locale="en")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    with app.app_context():
        cohort_name = db.session.scalar(select(Cohort.name).where(Cohort.id == cohort_id))

    allowed = views.can

    def only_admins_change(user, action, target=None):
        if action == "cohorts.change":
            return user.role == Role.ADMIN
        return allowed(user, action, target)

    monkeypatch.setattr(views, "can", only_admins_change)
    monkeypatch.setitem(app.jinja_env.globals, "can", only_admins_change)
    as_admin = warm(app, admin_client, cohort_id)
    assert "Edit cohort" in heading(as_admin) and "Activation links" in heading(as_admin)
    as_trainer = warm(app, trainer_client, cohort_id)
    assert cohort_name in heading(as_trainer)
    assert "Edit cohort" not in heading(as_trainer)
    assert "Activation links" not in heading(as_trainer)
    assert names(as_trainer) == names(as_admin)


def test_a_cohort_that_is_not_there_is_404_and_anothers_is_403(
    app, make_user, attention_cohort, trainer_client
):
    cohort_id, _module_id = attention_cohort
    assert trainer_client.get("/cohorts/999999/").status_code == 404
    other = make_user(role=Role.TRAINER, email="pavel@example.org", name="Павел", locale="en")
    other_client = app.test_client()
    sign_in(other_client, other)
    assert other_client.get(f"/cohorts/{cohort_id}/").status_code == 403
    assert other_client.get("/cohorts/999999/").status_code == 404
    assert "<h1>" in warm(app, trainer_client, cohort_id)  # its own trainer still sees it
