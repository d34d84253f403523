"""What an outside reviewer sent to the forms and found broken (seventh session's review):
each used to be a 500 or a silent loss, and is now a message on the page it was sent from."""

import re
from pathlib import Path

import pytest

from tests.conftest import sign_in, sync_example
from tests.quiz_helpers import enrol, form_of, right_answer
from tests.web.test_cohorts import count, make_cohort, upload
from tests.web.test_scenarios import BASE, client_for, run_of, start_run
from trainer.extensions import db
from trainer.learning import attempts
from trainer.models import InviteCode, Profession, QuizAttempt, Role

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


# A module written for this review from modules/README.md: judges and prosecutors, every lesson
# required (`lessons: all`), a quiz drawing 7 of 8 questions with no sections and its own pass
# mark, a scenario importing another by `slug/id`, a counter loop capped by `when`, a ruling with
# a half-step number and bands, a lesson saved as UTF-8 with a BOM and Windows line ends.
COURT = Path(__file__).resolve().parents[1] / "fixtures" / "modules" / "court-hearing-basics"
HEARING = "/learn/court-hearing-basics"
COURT_SEEN = {
    "ru": {"warning": "В уроке пересказаны показания о побоях.", "heading": "<h2>Выслушать</h2>",
           "note": "Справка о месте ожидания", "ending": "Решение вынесено",
           "certificate": "Ваш сертификат", "passed": "Сдан"},
    "en": {"warning": "This lesson retells testimony about beatings.",
           "heading": "<h2>Listening</h2>", "note": "Note on the waiting area",
           "ending": "Decision given", "certificate": "Your certificate", "passed": "Passed"},
}  # fmt: skip


def take_final_quiz(app, client, reviewer) -> str:
    """Every drawn question right; the essay, when drawn (7 of 8), marked by the trainer."""
    started = client.post(f"{HEARING}/quizzes/final/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
    with app.test_request_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        drawn = list(attempt.question_ids)
        fields = {"shown": drawn}
        for question in attempts.questions_of(attempt):
            fields |= right_answer(question, attempt.layout(question.id))
    url = f"{HEARING}/quizzes/final/attempts/{attempt_id}"
    assert client.post(url, data=form_of(fields)).status_code in (302, 303)
    assert client.post(f"{url}/submit").status_code in (302, 303)
    if "essay" in drawn:
        marks = {"score.essay": "1", "comment.essay": "Good."}
        assert reviewer.post(f"/review/attempts/{attempt_id}", data=marks).status_code == 302
    return client.get(f"{url}/result").text


def play_through(client, scenario: str, acts: list) -> str:
    url = client.post(f"{HEARING}/scenarios/{scenario}/runs").headers["Location"]
    for step, data in enumerate(acts):
        response = client.post(url, data={"step": step, **data})
        assert response.status_code == 303, response.text
    return client.get(response.headers["Location"]).text


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_judge_takes_the_review_module_to_its_certificate(app, make_user, lang):
    seen = COURT_SEEN[lang]
    sync_example(app, COURT)
    judge = make_user(profession=Profession.JUDGE, locale=lang)
    trainer = make_user(role=Role.TRAINER, locale=lang)
    enrol(app, trainer.id, judge.id)
    client = client_for(app, judge)
    assert "court-hearing-basics" in client.get("/learn/").text
    warned = client.get(f"{HEARING}/lessons/in-the-courtroom").text
    assert seen["warning"] in warned
    text = client.get(f"{HEARING}/lessons/in-the-courtroom?show=text").text
    assert seen["heading"] in text and "\ufeff" not in text
    assert 'alt="' in client.get(f"{HEARING}/lessons/before-the-hearing").text
    for lesson in ("before-the-hearing", "in-the-courtroom"):
        assert client.post(f"{HEARING}/lessons/{lesson}/done").status_code in (302, 303)
    assert seen["passed"] in take_final_quiz(app, client, client_for(app, trainer))
    # round the loop twice (its choice then runs out), then separate the parties
    intake = [{}, {"choice": "ask-docs"}, {"choice": "ask-docs"}, {"choice": "arrange"}]
    play_through(client, "intake", intake)
    assert seen["note"] in client.get(f"{HEARING}/scenarios/decision").text
    ruling = {"f-measure": "fine", "f-weeks": "2.5"}
    assert seen["ending"] in play_through(client, "decision", [{"choice": "open"}, ruling])
    outline = client.get(f"{HEARING}/").text
    assert seen["certificate"] in outline
    pdf = re.search(r'href="(/certificates/\d+/pdf\?lang=)', outline).group(1) + lang
    response = client.get(pdf)
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_officers_do_not_see_a_module_for_judges_and_prosecutors(app, make_user):
    sync_example(app, COURT)
    officer = client_for(app, make_user(profession=Profession.POLICE, locale="en"))
    assert "court-hearing-basics" not in officer.get("/learn/").text
    assert officer.get(f"{HEARING}/").status_code == 403


REGISTRATION = {
    "name": "Анна Сергеевна Смирнова",
    "email": "anna@example.org",
    "password": "a long secret passphrase",
    "confirm": "a long secret passphrase",
    "essay": "Я бы сначала развела стороны,\nпотом выслушала каждую отдельно.",
}


def test_a_form_refused_as_expired_shows_what_was_written(make_app):
    """A session that ended while someone wrote (a trainer's comment on an essay, a mailing)
    refused the form with "The form has expired", and everything written was lost."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    headers = {**EN, "Referer": "http://localhost/register"}
    response = client.post("/register", data=REGISTRATION, headers=headers)
    assert response.status_code == 400
    assert "The form has expired" in response.text
    assert "copy it before you reload the page" in response.text
    textarea = '<textarea id="typed" readonly rows="8">'
    typed = response.text.split(textarea)[1].split("</textarea>")[0]
    assert typed == (
        "Анна Сергеевна Смирнова\n\nЯ бы сначала развела стороны,\n"
        "потом выслушала каждую отдельно."
    )
    assert "secret passphrase" not in response.text
    assert 'href="http://localhost/register">Back to the form' in response.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://elsewhere.example"}, {"Referer": "https://elsewhere.example/"}],
)
def test_a_form_sent_from_another_site_is_not_shown_back(make_app, headers):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/register", data=REGISTRATION, headers={**EN, **headers})
    assert response.status_code == 400
    assert "The form has expired" in response.text
    assert "Смирнова" not in response.text and "textarea" not in response.text


@pytest.mark.parametrize("name", ["profession", "status"])
def test_a_dashboard_filter_of_spaces_shows_everyone(app, make_user, name):
    """`?profession=%20%20%20` was a 500: the filter form let the spaces through and the query
    read them as a profession."""
    trainer = make_user(role=Role.TRAINER, locale="en")
    learner = make_user(name="Anna Smirnova", locale="en")
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    response = client_for(app, trainer).get(f"/cohorts/{cohort_id}/", query_string={name: "   "})
    assert response.status_code == 200
    assert "Anna Smirnova" in response.text


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("Я" * 121, "a long passphrase", "--name: At most 120 characters."),
        ("Иван\x01Кузнецов", "a long passphrase", "--name: contains control characters; "
         "type the name again"),
        ("   ", "a long passphrase", "--name: Enter a name."),
        ("Иван Кузнецов", "short", "--password: Between 10 and 128 characters."),
    ],
)  # fmt: skip
def test_users_create_refuses_what_the_admins_form_refuses(app, name, password, message):
    """The command took a 121-character name (longer than the column: on PostgreSQL a
    traceback), a name with control characters and a 5-character password."""
    from trainer.models import User

    args = ["users", "create", "--email", "ivan@example.org", "--name", name,
            "--password", password]  # fmt: skip
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert f"Error: {message}\n" in result.output
    assert count(app, User) == 0


def test_a_roster_past_the_sites_limit_says_the_limit_and_leads_back(app, make_user):
    """Past the app's 12 MB the form never ran: a bare "larger than this site accepts" page,
    no limit named and no way back to the form (an Excel workbook chosen by mistake)."""
    from io import BytesIO

    trainer = make_user(role=Role.TRAINER, locale="en")
    cohort_id = make_cohort(app, [trainer.id])
    form = f"http://localhost/cohorts/{cohort_id}/enrol"
    response = client_for(app, trainer).post(
        f"/cohorts/{cohort_id}/enrol",
        data={"roster": (BytesIO(b"x" * (13 * 1024 * 1024)), "list.xlsx")},
        content_type="multipart/form-data",
        headers={**EN, "Referer": form},
    )
    assert response.status_code == 413
    assert "A list of learners may be at most 2 MB" in response.text
    assert f'<a href="{form}">Back to the form</a>' in response.text
