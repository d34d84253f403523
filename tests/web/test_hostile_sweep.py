"""Input found by a sweep of every route with hostile values (huge and Unicode numbers, control
characters, invalid UTF-8, dates at the ends of the calendar ...) that used to end in a 500."""

import pytest

from tests.conftest import sign_in, sync_example
from tests.web.test_cohorts import count, make_cohort, upload
from tests.web.test_scenarios import add_cohort, client_for
from trainer.extensions import db
from trainer.models import CohortMember, Profession, Role, User
from trainer.models.scenarios import ScenarioPairing

EN = {"Accept-Language": "en"}


def raw_query(text: str) -> dict:
    """A query string as a WSGI server passes bytes it got unencoded: one latin-1 character
    per byte (what curl sends for `?q=Анна` or `?\\xff=1`)."""
    return {"QUERY_STRING": text.encode().decode("latin-1")}


def test_invalid_utf8_bytes_in_a_query_string_are_read_as_text(client):
    response = client.get(
        "/login", environ_overrides={"QUERY_STRING": "\xff\xfe=1&next=/learn/\xc0"}, headers=EN
    )
    assert response.status_code == 200
    assert "Sign in" in response.text
    # the language switcher's link back to this page keeps the bytes, percent-encoded
    assert 'value="/login?%FF%FE=1&amp;next=/learn/%C0"' in response.text


def test_unencoded_utf8_in_a_query_string_is_searched_as_typed(client, admin, make_user):
    make_user(name="Иванова Анна")
    sign_in(client, admin)
    response = client.get("/admin/users", environ_overrides=raw_query("q=Иванова"), headers=EN)
    assert response.status_code == 200
    assert "1 account found" in response.text and "Иванова Анна" in response.text


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_audit_dates_at_the_ends_of_the_calendar_are_a_message(client, admin, name, day):
    sign_in(client, admin)
    response = client.get("/admin/audit", query_string={name: day}, headers=EN)
    assert response.status_code == 200
    assert "Enter a date from Jan 1, 2000 to Dec 31, 2999." in response.text
    # The refused filter lists nothing, rather than every entry as if no filter were set.
    assert "The filter was not applied, so no entries are shown" in response.text
    assert "entries found" not in response.text and "entry found" not in response.text


def arabic_indic(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


def fullwidth(number: int) -> str:
    return "".join(chr(0xFF10 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("digits", [arabic_indic, fullwidth])
def test_an_id_in_unicode_digits_is_no_other_address_of_the_same_page(
    app, client, admin, learner, digits
):
    sign_in(client, admin)
    page = f"/admin/users/{digits(learner.id)}"
    assert client.get(page, headers=EN).status_code == 404
    # The form at that address changed the learner's account (an unticked "active": disabled).
    response = client.post(page, data={"name": "Renamed", "role": "learner"}, headers=EN)
    assert response.status_code == 404
    assert "Page not found" in response.text
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert (user.active, user.name) == (True, learner.name)


QUIZ = "/learn/example-module/quizzes/check/attempts"
RUNS = "/learn/example-module/scenarios/call/runs"


@pytest.mark.parametrize("number", [2**31, 2**63 - 1])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/certificates/{}/pdf"),
        ("get", QUIZ + "/{}/result"),
        ("post", QUIZ + "/{}/submit"),
        ("get", RUNS + "/{}/debrief"),
        ("post", "/account/invitations/{}/accept"),
        ("post", "/users/{}/reset-link"),
    ],
)
def test_ids_past_what_an_integer_column_holds_are_not_found(app, admin, method, path, number):
    # Ids are INTEGER columns: on PostgreSQL 2**31 in a query was "integer out of range", a 500.
    sync_example(app)
    client = app.test_client()
    sign_in(client, admin)
    response = getattr(client, method)(path.format(number), headers=EN)
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize(("importer", "run"), [(2**31, 1), (1, 2**31), (10**30, 1), (1, 2**63)])
def test_a_pairing_of_ids_past_an_integer_column_is_a_message(app, make_user, importer, run):
    sync_example(app)
    judge = make_user(profession=Profession.JUDGE, locale="en")
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = add_cohort(app, trainer, [judge])
    response = client_for(app, trainer).post(
        f"/learn/example-module/scenarios/hearing/class/{cohort_id}/pairings",
        data={"importer": importer, "run": run},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Choose a member and a finished run to pair." in response.text
    assert count(app, ScenarioPairing) == 0


HEADER = "name,email,profession\n"


@pytest.fixture
def trainer_client(app, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    client = app.test_client()
    sign_in(client, trainer)
    return client, make_cohort(app, [trainer.id])


def test_a_roster_with_a_quotation_mark_never_closed_is_refused_by_line(app, trainer_client):
    client, cohort_id = trainer_client
    users = count(app, User)
    roster = HEADER + "Anna,anna@example.org,police\n" + '"Ivan' + " Kuznetsov" * 20_000
    response = upload(client, cohort_id, (roster + ",ivan@example.org,police\n").encode())
    assert response.status_code == 200
    assert "Line 3 cannot be read: a cell runs on for more than 100,000 characters." in (
        response.text
    )
    assert (count(app, User), count(app, CohortMember)) == (users, 0)


def test_control_characters_in_a_roster_name_are_a_problem_of_that_line(app, trainer_client):
    client, cohort_id = trainer_client
    roster = HEADER + "Anna,anna@example.org,police\n" + "Ivan\x1b[31m,ivan@example.org,judge\n"
    response = upload(client, cohort_id, roster.encode())
    assert response.status_code == 200
    assert "1 line cannot be used" in response.text
    assert '"Line">3</td>' in response.text
    assert "The name contains control characters; retype it." in response.text


def test_a_row_with_a_line_break_in_a_quoted_cell_is_named_by_its_first_line(app, trainer_client):
    client, cohort_id = trainer_client
    roster = HEADER + '"Anna\nSmith",not-an-email,police\n'
    response = upload(client, cohort_id, roster.encode())
    assert "“not-an-email” is not a valid email address." in response.text
    assert '"Line">2</td>' in response.text
