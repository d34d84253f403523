"""Input found by a sweep of every route with hostile values (huge and Unicode numbers, control
characters, invalid UTF-8, dates at the ends of the calendar ...) that used to end in a 500."""

import pytest

from tests.conftest import sign_in

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
    assert "Between 2000-01-01 and 2999-12-31." in response.text
    assert "entries found" in response.text or "entry found" in response.text
