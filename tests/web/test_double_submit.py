"""A creating form sent twice (a double click, a POST sent again on a slow network) creates one
row, and both answers lead to it: new cohort, new invite code, new class session
(trainer/submissions.py). Ten at once against gunicorn: tests/live/test_double_submit_live.py."""

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, update

from tests.conftest import sign_in, sync_example
from tests.web.test_cohorts import make_cohort
from trainer.extensions import db
from trainer.models import ClassParticipant, ClassSession, Cohort, InviteCode, Profession, Role

EN = {"Accept-Language": "en"}
TOKEN = re.compile(r'name="submission" type="hidden" value="([^"]+)"')


@dataclass(frozen=True)
class CreatingForm:
    name: str
    address: str  # "{cohort}" stands for the trainer's cohort
    model: type
    data: dict = field(default_factory=dict)
    message: str | None = None  # what the answer flashes, the first time and every time
    role: Role = Role.TRAINER  # who fills it in

    def url(self, cohort_id: int) -> str:
        return self.address.format(cohort=cohort_id)


FORMS = [
    CreatingForm(
        "cohort",
        "/cohorts/new",
        Cohort,
        {"name": "Курс в Твери", "region": "УМВД", "professions": "judge"},
        "Cohort “Курс в Твери” saved.",
    ),
    CreatingForm(
        "invite code",
        "/cohorts/{cohort}/invites",
        InviteCode,
        {"days": "7", "max_uses": "5"},
        "Invite code ",
    ),
    CreatingForm(
        "admin invite code",
        "/admin/invites",
        InviteCode,
        {"role": "learner", "profession": "judge", "days": "7", "max_uses": "5"},
        "Invite code ",
        Role.ADMIN,
    ),
    CreatingForm(
        "class session",
        "/class/new?module=example-module&scenario=call",
        ClassSession,
        {"cohort": "0", "counts_progress": "y"},
    ),
]
by_name = pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])


@pytest.fixture
def trainer(app, make_user):
    sync_example(app)
    return make_user(role=Role.TRAINER, profession=Profession.OTHER, locale="en")


@pytest.fixture
def author(make_user, trainer, form):
    """Who fills in `form`: the trainer, or an admin for the admin's forms."""
    if form.role == Role.TRAINER:
        return trainer
    return make_user(role=form.role, profession=Profession.OTHER, locale="en")


@pytest.fixture
def cohort_id(app, trainer) -> int:
    return make_cohort(app, [trainer.id])


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def token_on(client, url: str) -> str:
    page = client.get(url, headers=EN)
    assert page.status_code == 200, page.text
    return TOKEN.search(page.text).group(1)


def rows(app, model) -> list:
    with app.app_context():
        return list(db.session.scalars(select(model).order_by(model.id)))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def send(client, form: CreatingForm, cohort_id: int, token: str | None):
    data = {**form.data, **({"submission": token} if token is not None else {})}
    response = client.post(form.url(cohort_id), data=data, headers=EN)
    assert response.status_code in (302, 303), response.text
    return response


def opened(app, user, form: CreatingForm, cohort_id: int):
    """A client of `user` that opened the form: (client, rows of its model so far, token)."""
    client = client_of(app, user)
    before = count(app, form.model)
    return client, before, token_on(client, form.url(cohort_id))


def flashed(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


@by_name
def test_the_same_form_sent_twice_makes_one_row_and_both_answers_lead_to_it(
    app, author, cohort_id, form
):
    client, before, token = opened(app, author, form, cohort_id)

    first = send(client, form, cohort_id, token)
    first_messages = flashed(client)
    again = send(client, form, cohort_id, token)

    assert count(app, form.model) == before + 1
    [made] = [row for row in rows(app, form.model) if row.submission_token == token]
    assert again.status_code == first.status_code
    assert again.headers["Location"] == first.headers["Location"]
    # The same answer: the same message, no error for what is a harmless repeat.
    assert flashed(client) == first_messages
    if form.message is not None:
        [(category, text)] = first_messages
        assert (category, text.startswith(form.message)) == ("success", True)
    if form.model is InviteCode:
        assert made.code in first_messages[0][1]
    if form.model is ClassSession:
        assert first.headers["Location"].endswith(f"/class/{made.code}/control")
    if form.model is Cohort:
        assert first.headers["Location"].endswith(f"/cohorts/{made.id}/")


@by_name
def test_the_form_shown_again_makes_another_row(app, author, cohort_id, form):
    """Each page opened is a new form: a second cohort is never refused."""
    client = client_of(app, author)
    before = count(app, form.model)
    tokens = [token_on(client, form.url(cohort_id)) for _ in range(2)]
    assert tokens[0] != tokens[1]
    for token in tokens:
        send(client, form, cohort_id, token)
    assert count(app, form.model) == before + 2


@by_name
@pytest.mark.parametrize("token", [None, "", "short", "<script>" * 4, "x" * 65])
def test_a_form_without_a_well_formed_token_is_a_fresh_submission(
    app, author, cohort_id, form, token
):
    """A page opened before tokens existed (or a hand-made request) still works: each sending
    is a submission of its own, under a token drawn by the server."""
    client = client_of(app, author)
    before = count(app, form.model)
    send(client, form, cohort_id, token)
    send(client, form, cohort_id, token)
    made = rows(app, form.model)[before:]
    assert len(made) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", row.submission_token) for row in made)


@by_name
def test_another_persons_token_makes_their_own_row(app, make_user, author, cohort_id, form):
    """A token that made someone else's row is not this form's: no row of theirs is shown."""
    rival = make_user(role=form.role, profession=Profession.OTHER, locale="en")
    rival_cohort = make_cohort(app, [rival.id], name="Другая группа")
    mine = client_of(app, author)
    token = token_on(mine, form.url(cohort_id))
    first = send(mine, form, cohort_id, token)

    theirs = send(client_of(app, rival), form, rival_cohort, token)

    made = [row for row in rows(app, form.model) if row.submission_token is not None]
    assert len(made) == 2 and made[0].submission_token == token
    assert made[1].submission_token != token
    owner = {Cohort: "created_by_id", InviteCode: "created_by_id", ClassSession: "trainer_id"}
    assert getattr(made[1], owner[form.model]) == rival.id
    if form.model is not InviteCode:
        assert theirs.headers["Location"] != first.headers["Location"]


def test_an_invite_token_does_not_reach_another_cohorts_code(app, trainer, cohort_id):
    """The same trainer, the token of one cohort's form sent to another's: a code for each."""
    second = make_cohort(app, [trainer.id], name="Вторая группа")
    client = client_of(app, trainer)
    token = token_on(client, f"/cohorts/{cohort_id}/invites")
    invite = FORMS[1]
    send(client, invite, cohort_id, token)
    answer = send(client, invite, second, token)
    assert answer.headers["Location"].endswith(f"/cohorts/{second}/invites")
    assert [row.cohort_id for row in rows(app, InviteCode)] == [cohort_id, second]


def test_editing_a_cohort_changes_it_and_makes_nothing(app, trainer, cohort_id):
    client = client_of(app, trainer)
    token = token_on(client, f"/cohorts/{cohort_id}/edit")
    data = {"name": "Новое имя", "professions": ["police"], "trainer_ids": [str(trainer.id)]}
    for _ in range(2):
        response = client.post(f"/cohorts/{cohort_id}/edit", data={**data, "submission": token})
        assert response.headers["Location"].endswith(f"/cohorts/{cohort_id}/")
    [cohort] = rows(app, Cohort)
    assert (cohort.name, cohort.submission_token) == ("Новое имя", None)


@by_name
def test_the_form_is_not_kept_by_the_browser(app, author, cohort_id, form):
    """Going back to the form fetches it again, with a new token: a page shown from the
    browser's cache would carry the used one, and find the row already made."""
    response = client_of(app, author).get(form.url(cohort_id), headers=EN)
    assert "no-store" in response.headers["Cache-Control"]


@by_name
def test_an_invalid_form_sent_twice_makes_nothing_and_keeps_its_token(
    app, author, cohort_id, form
):
    client, before, token = opened(app, author, form, cohort_id)
    invalid = {
        "cohort": {"name": ""},
        "invite code": {"days": "0"},
        "admin invite code": {"max_uses": "0"},
        "class session": {"cohort": str(cohort_id), "allow_guests": "y"},  # no guests there
    }
    data = {**form.data, **invalid[form.name], "submission": token}
    for _ in range(2):
        page = client.post(form.url(cohort_id), data=data, headers=EN)
        assert page.status_code in (200, 400)
        assert TOKEN.search(page.text).group(1) == token  # corrected, it is still this form
    assert count(app, form.model) == before


def test_a_guest_who_taps_join_twice_has_one_seat(app, trainer):
    """The guest's browser keeps the token of the answer it reads last: both answers give the
    same seat and the same token, so that no empty seat counts in the room."""
    code = send(client_of(app, trainer), FORMS[-1], 0, None).headers["Location"].split("/")[2]
    with app.app_context():
        db.session.execute(update(ClassSession).values(allow_guests=True))
        db.session.commit()
    guest = app.test_client()
    token = token_on(guest, f"/class/{code}")
    data = {"name": "Мария", "profession": "judge", "submission": token}
    answers = [guest.post(f"/class/{code}/join", data=data) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    with app.app_context():
        [seat] = db.session.scalars(select(ClassParticipant))
    assert seat.guest_name == "Мария"
    page = guest.get(f"/class/{code}", headers=EN)
    assert "Guests are not counted" in page.text  # the seat's phone page, not the join form
    other = app.test_client()  # another guest's page: a seat of their own
    other_token = token_on(other, f"/class/{code}")
    assert other_token != token
    other.post(f"/class/{code}/join", data={**data, "name": "Пётр", "submission": other_token})
    assert count(app, ClassParticipant) == 2
