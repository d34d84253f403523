"""Input that used to crash or silently lose work: each now gets a clear 4xx and keeps the
learner's answers (issue: trust)."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import sign_in
from tests.quiz_helpers import enrol, sync_quiz
from tests.web.test_quiz import BASE, JSON, NO_ESSAY, right_form, saved, start, url
from trainer.extensions import db
from trainer.learning.dashboard import csv_bytes
from trainer.models import LearningEvent, Role, Verb


@pytest.fixture
def learner_client(app, module_copy, make_user):
    sync_quiz(app, module_copy, **NO_ESSAY)
    learner = make_user(locale="en", email="officer@example.org")
    client = app.test_client()
    sign_in(client, learner)
    return learner, client


def answered_events(app) -> int:
    with app.app_context():
        answered = select(func.count()).where(LearningEvent.verb == Verb.ANSWERED)
        return db.session.scalar(answered.select_from(LearningEvent))


def test_a_blank_question_is_not_recorded_as_answered(app, learner_client):
    _learner, client = learner_client
    attempt_id = start(client)
    for _ in range(3):
        blank = {"shown": ["first-priority", "arrival-time"], "a.arrival-time": ""}
        assert client.post(url(attempt_id), data=blank, headers=JSON).status_code == 200
    assert answered_events(app) == 0
    answer = {"shown": "arrival-time", "a.arrival-time": "25"}
    client.post(url(attempt_id), data=answer, headers=JSON)
    client.post(url(attempt_id), data={**answer, "revision-arrival-time": "1"}, headers=JSON)
    assert answered_events(app) == 1


def test_a_page_older_than_the_stored_answer_does_not_overwrite_it(app, learner_client):
    _learner, client = learner_client
    attempt_id = start(client)
    page = client.get(url(attempt_id, "?page=1")).text  # before any answer: revision 0
    assert re.search(r'name="revision-[a-z-]+" value="0"', page)
    newer = {"shown": "first-priority", "a.first-priority": "safety"}
    newer["revision-first-priority"] = "0"
    assert client.post(url(attempt_id), data=newer, headers=JSON).json["revisions"] == {
        "first-priority": 1
    }
    stale = {
        "shown": ["first-priority", "arrival-time"],
        "a.first-priority": "paperwork",
        "revision-first-priority": "0",
        "a.arrival-time": "25",
    }
    response = client.post(url(attempt_id), data=stale, headers=JSON)
    assert response.status_code == 422
    assert "changed in another window" in response.json["errors"]["first-priority"]
    assert response.json["saved"] == ["arrival-time"]
    assert saved(app, attempt_id) == {"first-priority": "safety", "arrival-time": 25.0}
    # Without JavaScript the page comes back showing the stored answer and the message.
    html = client.post(url(attempt_id), data=stale).text
    assert "changed in another window" in html
    assert 'name="revision-first-priority" value="1"' in html
    assert 'value="safety" checked' in html


def test_an_answer_sent_again_after_a_lost_reply_is_saved_not_stale(app, learner_client):
    """A worker killed after storing an autosave and before answering: the browser sends the
    same answers again with the revisions it had. Every type of answer finds itself stored."""
    _learner, client = learner_client
    attempt_id = start(client)
    form = right_form(app, attempt_id)  # every question, as the page showed them: revision 0
    assert client.post(url(attempt_id), data=form, headers=JSON).status_code == 200
    stored = saved(app, attempt_id)
    again = client.post(url(attempt_id), data=form, headers=JSON)
    assert again.status_code == 200, again.json
    assert sorted(again.json["saved"]) == sorted(form["shown"])
    assert set(again.json["revisions"].values()) == {1}  # nothing was written twice
    assert saved(app, attempt_id) == stored
    assert answered_events(app) == len(form["shown"])
    # Another answer from that old page is still a conflict, not an overwrite.
    other = {"shown": "first-priority", "a.first-priority": "paperwork"}
    response = client.post(url(attempt_id), data=other, headers=JSON)
    assert response.status_code == 422 and response.json["saved"] == []
    assert saved(app, attempt_id) == stored


@pytest.mark.parametrize("digit", ["²", "①", "١"])
def test_unicode_digits_in_matching_and_ordering_are_a_message(app, learner_client, digit):
    _learner, client = learner_client
    attempt_id = start(client)
    form = {
        "shown": ["match-terms", "order-steps"],
        "a.match-terms.battery": digit,
        "a.order-steps.assess": digit,
    }
    response = client.post(url(attempt_id), data=form, headers=JSON)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "match-terms": "This answer is not one of the options.",
        "order-steps": "Choose a position from the list.",
    }


def test_a_unicode_page_number_saves_and_stays(app, learner_client):
    _learner, client = learner_client
    attempt_id = start(client)
    form = {"shown": "arrival-time", "a.arrival-time": "25", "go": "page-²"}
    response = client.post(url(attempt_id), data=form)
    assert response.status_code == 302
    assert saved(app, attempt_id) == {"arrival-time": 25.0}


def test_an_open_attempt_cannot_be_reviewed_yet(app, learner_client, make_user):
    learner, client = learner_client
    attempt_id = start(client)
    trainer = make_user(role=Role.TRAINER, locale="en", email="trainer@example.org")
    enrol(app, trainer.id, learner.id)
    trainer_client = app.test_client()
    sign_in(trainer_client, trainer)
    response = trainer_client.get(f"/review/attempts/{attempt_id}")
    assert response.status_code == 409
    assert "still working on this attempt" in response.text


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/certificates/{HUGE}/pdf",
        f"/cohorts/{HUGE}/",
        f"/admin/users/{HUGE}",
        f"{BASE}/attempts/{HUGE}",
        f"/review/attempts/{HUGE}",
        "/admin/users?page=9999999999999999999",
        "/admin/users?page=²",
    ],
)
def test_numbers_past_what_the_database_holds_are_not_found(client, admin, path):
    sign_in(client, admin)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [f"{BASE}/attempts/{HUGE}", f"{BASE}/attempts/{HUGE}/submit"],
)
def test_a_post_to_a_number_past_the_database_is_not_found_either(client, admin, path):
    """Not "405 method not allowed": the address names no record, whatever the method."""
    sign_in(client, admin)
    assert client.post(path, data={"shown": "q1"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/verify?code=%00", None),
        ("get", "/verify/AB%00CD", None),
        ("post", "/register", {"email": "a\x00@example.org", "name": "A", "code": "X"}),
        ("post", "/login", {"email": "a@example.org\x00", "password": "x"}),
    ],
)
def test_control_characters_are_refused_with_a_message(client, method, path, data):
    response = getattr(client, method)(path, data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "control characters" in response.text


def test_a_fullwidth_equals_sign_is_neutralised_in_exports():
    exported = csv_bytes([["＝SUM(A1:A2)", "=1+1", "Анна"]]).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(exported))) == ["'＝SUM(A1:A2)", "'=1+1", "Анна"]


def test_signed_in_pages_are_not_stored_and_https_adds_hsts(make_app, make_user):
    app = make_app(TRAINER_HTTPS=True)
    learner = make_user(email="officer@example.org")
    client = app.test_client()
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    sign_in(client, learner, remember="y")
    response = client.get("/learn/")
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/static/css/app.css").headers.get("Cache-Control", "") != "no-store"


def test_the_remember_me_cookie_lasts_thirty_days(app, make_user):
    learner = make_user(email="officer@example.org")
    client = app.test_client()
    response = sign_in(client, learner, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember"))
    assert "Max-Age=2592000" in cookie or "Expires=" in cookie
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 30


def test_huge_run_and_cohort_numbers_in_a_query_are_ignored(client, admin, app):
    from tests.conftest import sync_example

    sync_example(app)
    sign_in(client, admin)
    base = "/learn/example-module/scenarios/call"
    assert client.get(f"{base}/compare?run={HUGE}&run=①").status_code in (200, 302)
    assert client.get(f"{base}/class?cohort={HUGE}").status_code == 200
