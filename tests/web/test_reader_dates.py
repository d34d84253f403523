"""My training's dates (trainer/learn/dates.py) read exactly as Flask-Babel's filters write them
elsewhere on the site: in the site's time zone and the reader's language."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, format_date, format_datetime

from trainer.learn.dates import ReaderDates

MOMENTS = [
    datetime(2026, 12, 3, 21, 30, tzinfo=UTC),  # already the 4th in Moscow
    datetime(2026, 3, 1, 0, 5, 9, 123456, tzinfo=UTC),
    datetime(2026, 7, 15, 12, 0),  # naive: taken as UTC
]
NAMED = ["short", "medium", "long", "full"]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_dates_read_as_flask_babel_writes_them(app, lang):
    with app.test_request_context("/"), force_locale(lang):
        dates = ReaderDates()
        for moment in MOMENTS:
            for fmt in NAMED:
                assert dates.datetime(moment, fmt) == format_datetime(moment, fmt)
                assert dates.date(moment, fmt) == format_date(moment, fmt)
            assert dates.datetime(moment, "d MMM y, HH:mm") == format_datetime(
                moment, "d MMM y, HH:mm"
            )
            assert dates.date(moment, "d MMM y") == format_date(moment, "d MMM y")
            assert dates.date(moment.date(), "long") == format_date(moment.date(), "long")
        # A day's text is kept per language: the other language's is not served.
        assert dates.date(date(2026, 12, 4), "long") == format_date(date(2026, 12, 4), "long")


def test_a_late_evening_in_utc_is_the_next_day_in_moscow(app):
    with app.test_request_context("/"), force_locale("ru"):
        assert ReaderDates().date(MOMENTS[0], "long") == "4 декабря 2026\u202fг."
    with app.test_request_context("/"), force_locale("en"):
        assert ReaderDates().date(MOMENTS[0], "long") == "December 4, 2026"
