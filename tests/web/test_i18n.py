from datetime import UTC, datetime

from flask_babel import force_locale, format_date, ngettext

from tests.conftest import sign_in


def test_russian_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in html and "Войти" in html


def test_accept_language_is_honoured_for_visitors(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html and "Sign in" in html


def test_switcher_keeps_the_page_and_its_query(client):
    response = client.post("/language/en", data={"next": "/register?code=ABC"})
    assert response.headers["Location"] == "/register?code=ABC"
    assert "Register" in client.get("/register?code=ABC").get_data(as_text=True)


def test_switcher_refuses_foreign_redirects_and_unknown_languages(client):
    assert (
        client.post("/language/en", data={"next": "https://evil.example"}).headers["Location"]
        == "/"
    )
    assert client.post("/language/de", data={"next": "/"}).status_code == 404


def test_signed_in_users_preference_wins_over_the_browser(app, client, make_user):
    user = make_user(locale="en")
    sign_in(client, user)
    html = client.get("/account/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "My account" in html


def test_switching_language_saves_the_users_preference(app, make_user):
    user = make_user(locale="en")
    client = app.test_client()
    sign_in(client, user)
    client.post("/language/ru", data={"next": "/account/"})
    other_browser = app.test_client()
    sign_in(other_browser, user)
    assert "Моя учётная запись" in other_browser.get("/account/").get_data(as_text=True)


def test_russian_plural_forms(app):
    with app.test_request_context(), force_locale("ru"):
        found = [
            ngettext("%(num)s account found", "%(num)s accounts found", n) for n in (1, 2, 5, 21)
        ]
    assert [text.split()[-1] for text in found] == ["запись", "записи", "записей", "запись"]


def test_dates_are_formatted_for_the_language(app):
    day = datetime(2026, 3, 8, 12, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("ru"):
            assert format_date(day, "long") == "8 марта 2026\u202fг."
        with force_locale("en"):
            assert format_date(day, "long") == "March 8, 2026"


def test_wtforms_own_messages_follow_the_page_language(app):
    """WTForms' own messages come from its catalogues, read once per process (trainer.forms)."""
    from wtforms import IntegerField

    from trainer.forms import Form

    class AgeForm(Form):
        class Meta:
            csrf = False

        age = IntegerField()

    for lang, message in (("ru", "Неверное целое число."), ("en", "Not a valid integer value.")):
        with app.test_request_context("/", data={"age": "abc"}, method="POST",
                                      headers={"Accept-Language": lang}):  # fmt: skip
            form = AgeForm()
            assert not form.validate()
            assert form.age.errors == [message]
