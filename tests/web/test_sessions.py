"""Session cookies are checked once per worker (trainer/sessions.py): a remembered cookie must
still expire, stay unforgeable, and never carry one request's changes into another's."""

from datetime import timedelta

import trainer.sessions
from tests.conftest import sign_in

COOKIE = "session"
SIGN_IN_FIRST = "Войдите в систему, чтобы открыть эту страницу."


def test_a_remembered_cookie_still_expires(make_app, make_user, monkeypatch):
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(minutes=30))
    user = make_user()
    client = app.test_client()
    sign_in(client, user)
    assert client.get("/learn/").status_code == 200  # the cookie is now remembered
    assert client.get("/learn/").status_code == 200

    later = trainer.sessions.time.time() + 31 * 60
    monkeypatch.setattr(trainer.sessions.time, "time", lambda: later)
    response = client.get("/learn/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_changed_session_does_not_change_the_cookie_it_came_with(client):
    client.get("/learn/")  # a visitor sent to sign in, with a message waiting in the session
    first = client.get_cookie(COOKIE).value
    client.get("/learn/")  # read from `first`, the session gets a second message
    assert client.get("/login").get_data(as_text=True).count(SIGN_IN_FIRST) == 2

    client.set_cookie(COOKIE, first)  # the cookie from before: one message
    assert client.get("/login").get_data(as_text=True).count(SIGN_IN_FIRST) == 1
    client.set_cookie(COOKIE, first)
    client.post("/language/en", data={"next": "/login"})  # a new session from `first`, in English
    client.set_cookie(COOKIE, first)
    assert '<html lang="ru">' in client.get("/login").get_data(as_text=True)


def test_a_tampered_cookie_is_a_new_empty_session(client, learner):
    sign_in(client, learner)
    cookie = client.get_cookie(COOKIE).value
    assert client.get("/learn/").status_code == 200
    payload, _, signature = cookie.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    client.set_cookie(COOKIE, forged)
    assert client.get("/learn/").status_code == 302


def test_a_cookie_signed_with_another_secret_is_refused(make_app, make_user):
    first, second = make_app(), make_app(SECRET_KEY="another-secret")
    user = make_user()
    client = first.test_client()
    sign_in(client, user)
    assert client.get("/learn/").status_code == 200
    other = second.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    assert other.get("/learn/").status_code == 302


def test_a_signed_in_session_read_twice_gives_two_independent_copies(app, client, learner):
    sign_in(client, learner)  # a signed-in session holds strings and flags only
    cookie = f"{COOKIE}={client.get_cookie(COOKIE).value}"
    interface = app.session_interface
    with app.test_request_context("/learn/", headers={"Cookie": cookie}) as context:
        first = interface.open_session(app, context.request)
        first["_flashes"] = [("info", "only for this request")]
        first["_user_id"] = "someone else"
        second = interface.open_session(app, context.request)
    assert "_flashes" not in second and second["_user_id"] != "someone else"


def test_an_unchanged_session_keeps_its_cookie_and_varies_on_it(client, learner):
    sign_in(client, learner)
    client.get("/learn/")  # the first page adds the session's CSRF secret
    page = client.get("/learn/")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers  # nothing changed: the browser keeps its cookie
    assert page.headers["Vary"] == "Cookie"  # no shared cache serves it to another person
    assert page.headers["Cache-Control"] == "no-store"
