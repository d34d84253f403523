import pytest
from flask import abort
from sqlalchemy import func, select

from tests.conftest import sign_in
from trainer.extensions import db
from trainer.models import User


def test_404_in_russian_and_english(client):
    ru = client.get("/no-such-page")
    en = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert ru.status_code == en.status_code == 404
    assert "Страница не найдена" in ru.get_data(as_text=True)
    assert "Page not found" in en.get_data(as_text=True)


def test_403_for_a_learner_on_an_admin_page(client, learner):
    sign_in(client, learner)
    response = client.get("/admin/users", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_failed_csrf_check_has_its_own_page(make_app, learner):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post(
        "/login",
        data={"email": "a@example.org", "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_400_bad_request_in_russian(crashing_app):
    response = crashing_app.test_client().get("/bad")
    assert response.status_code == 400
    assert "Некорректный запрос" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.get("/nope", headers={"Accept": "application/json", "Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json["error"] == "Page not found"


@pytest.fixture
def crashing_app(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/crash")
    def crash():
        from trainer.extensions import db
        from trainer.models import InviteCode
        from trainer.models.types import utcnow

        db.session.add(InviteCode(expires_at=utcnow()))
        db.session.flush()
        raise RuntimeError("boom with a secret stack trace")

    @app.route("/bad")
    def bad():
        abort(400)

    return app


def test_500_shows_a_page_without_stack_trace_and_writes_nothing(crashing_app):
    from trainer.extensions import db
    from trainer.models import InviteCode

    response = crashing_app.test_client().get("/crash", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "boom" not in html and "Traceback" not in html
    with crashing_app.app_context():
        assert db.session.query(InviteCode).count() == 0


SIGN_UP = {
    "name": "Анна\x00 Сергеевна Смирнова",
    "email": "anna@example.org",
    "password": "a long\x00 secret passphrase",
    "confirm": "a long\x00 secret passphrase",
    "code": "X",
}
FROM_HERE = {"Referer": "http://localhost/register"}


@pytest.mark.parametrize(
    ("language", "title", "note"),
    [
        ("en", "Characters that cannot be accepted",
         "What you wrote is below, with those characters removed"),
        ("ru", "Недопустимые символы", "Ниже то, что вы написали, без этих символов"),
    ],
)  # fmt: skip
def test_a_form_refused_for_a_nul_byte_gives_back_what_was_written(
    app, client, language, title, note
):
    """A NUL byte pasted into a form was a 400 that lost everything written in it: the page
    now shows the text to copy back, without the byte, and never the password."""
    response = client.post(
        "/register", data=SIGN_UP, headers={"Accept-Language": language, **FROM_HERE}
    )
    assert response.status_code == 400
    assert title in response.text and note in response.text
    textarea = '<textarea id="typed" readonly rows="8">'
    typed = response.text.split(textarea)[1].split("</textarea>")[0]
    assert typed == "Анна Сергеевна Смирнова"
    assert "secret passphrase" not in response.text
    assert 'href="http://localhost/register"' in response.text  # back to the form
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://elsewhere.example"}, {"Accept": "application/json", **FROM_HERE}],
)
def test_a_refused_form_from_another_site_or_for_a_script_shows_no_text(client, headers):
    response = client.post("/register", data=SIGN_UP, headers={"Accept-Language": "en", **headers})
    assert response.status_code == 400
    assert "control characters" in response.text
    assert "Смирнова" not in response.text and "textarea" not in response.text
