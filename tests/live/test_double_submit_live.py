"""Ten submissions of one creating form at once, against gunicorn (two processes of four
threads): exactly one row, and every answer leads to it; on SQLite and on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.live.conftest import CSRF, Browser
from tests.live.test_parallel import statuses
from tests.web.test_cohorts import make_cohort
from tests.web.test_double_submit import FORMS, TOKEN
from trainer.extensions import db
from trainer.models import ClassParticipant, ClassSession, Cohort, Profession, Role

AT_ONCE = 10


def at_once(browser, url: str, data: dict) -> list[tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        return list(pool.map(lambda _n: browser.request(url, data), range(AT_ONCE)))


def target_of(row, cohort_id: int) -> str:
    """Where the answer to the form that made `row` leads."""
    if isinstance(row, Cohort):
        return f"/cohorts/{row.id}/"
    if isinstance(row, ClassSession):
        return f"/class/{row.code}/control"
    return "/admin/invites" if row.cohort_id is None else f"/cohorts/{cohort_id}/invites"


def test_ten_submissions_of_one_form_at_once_make_one_row(app, make_user, browser_for):
    people = {role: make_user(role=role, profession=Profession.OTHER) for role in Role}
    cohort_id = make_cohort(app, [people[Role.TRAINER].id])
    browsers = {form.role: browser_for(people[form.role]) for form in FORMS}
    for form in FORMS:
        browser = browsers[form.role]
        status, page = browser.request(form.url(cohort_id))
        assert status == 200, page
        token = TOKEN.search(page).group(1)
        with app.app_context():
            before = db.session.scalar(select(func.count()).select_from(form.model))

        answers = at_once(browser, form.url(cohort_id), {**form.data, "submission": token})

        redirect = 303 if form.model is ClassSession else 302
        assert statuses(answers) == {redirect: AT_ONCE}, (form.name, answers[0])
        with app.app_context():
            [made] = db.session.scalars(
                select(form.model).where(form.model.submission_token == token)
            )
            after = db.session.scalar(select(func.count()).select_from(form.model))
        assert after == before + 1, form.name
        # A redirect's body names its target: one target, the row made, for all ten.
        assert len({page for _status, page in answers}) == 1, form.name
        assert target_of(made, cohort_id) in answers[0][1], form.name


def test_a_guest_who_taps_join_ten_times_at_once_has_one_seat(app, make_user, server, browser_for):
    trainer = browser_for(make_user(role=Role.TRAINER, profession=Profession.OTHER))
    status, page = trainer.request(FORMS[-1].url(0))
    data = {**FORMS[-1].data, "allow_guests": "y", "submission": TOKEN.search(page).group(1)}
    status, page = trainer.request(FORMS[-1].url(0), data)
    assert status == 303, page
    with app.app_context():
        code = db.session.scalar(select(ClassSession.code))
    guest = Browser(server)
    status, page = guest.request(f"/class/{code}")
    assert status == 200, page
    guest.token = CSRF.search(page).group(1)
    join = {"name": "Мария", "profession": "judge", "submission": TOKEN.search(page).group(1)}

    answers = at_once(guest, f"/class/{code}/join", join)

    assert statuses(answers) == {303: AT_ONCE}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClassParticipant)) == 1
    status, page = guest.request(f"/class/{code}")
    assert status == 200 and "Мария" in page and 'name="name"' not in page
