"""What an outside reviewer sent to the forms and found broken (seventh session's review):
each used to be a 500 or a silent loss, and is now a message on the page it was sent from."""

import pytest

from tests.conftest import sign_in, sync_example
from tests.web.test_cohorts import count, make_cohort, upload
from tests.web.test_scenarios import BASE, client_for, run_of, start_run
from trainer.models import InviteCode, Profession, Role

EN = {"Accept-Language": "en"}
# Hundreds of digits: WTForms' NumberRange compares the number as a float (OverflowError).
HUGE = "9" * 400


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    sign_in(client, admin)
    return client


@pytest.mark.parametrize("name", ["days", "max_uses"])
def test_an_invite_limit_of_hundreds_of_digits_is_a_message(app, admin_client, name):
    data = {"role": "learner", "profession": "police", "days": "14", "max_uses": "30"}
    response = admin_client.post("/admin/invites", data={**data, name: HUGE}, headers=EN)
    assert response.status_code == 200
    assert "Between 1 and" in response.text
    assert f'value="{HUGE}"' in response.text  # what was typed stays in the field
    assert count(app, InviteCode) == 0


def test_a_cohort_invite_limit_of_hundreds_of_digits_is_a_message(app, make_user):
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = make_cohort(app, [trainer.id])
    response = client_for(app, trainer).post(
        f"/cohorts/{cohort_id}/invites", data={"days": HUGE, "max_uses": "30"}, headers=EN
    )
    assert response.status_code == 200
    assert "Between 1 and 365." in response.text
    assert count(app, InviteCode) == 0


def test_a_scenario_step_of_hundreds_of_digits_changes_nothing(app, make_user):
    sync_example(app)
    officer = make_user(profession=Profession.POLICE, locale="en")
    client = client_for(app, officer)
    url = start_run(client)
    response = client.post(url, data={"step": HUGE})
    assert response.status_code < 500
    assert run_of(app, url).node_id == "arrival"
    assert client.get(url).status_code == 200
    assert BASE in url


def test_a_roster_with_a_title_line_and_tabs_is_previewed_with_both_said(app, make_user):
    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = make_cohort(app, [trainer.id])
    roster = (
        "Course list\n\nФамилия\tИмя\tEmail\tПрофессия\n"
        "Kuznetsov\tIvan\tivan@example.org\tpolice\n"
    )
    response = upload(client_for(app, trainer), cohort_id, roster.encode())
    assert response.status_code == 200
    assert "Read as utf-8, separated by “tab”." in response.text
    assert "The column names were read from line 3; the lines above it were skipped." in (
        response.text
    )
    assert '"Line">4</td>' in response.text and "Kuznetsov Ivan" in response.text
