"""A number's unit agrees with the number: the forms a module writes ("день|дня|дней") are
picked by CLDR's plural rule of the language."""

import pytest

from trainer.i18n import unit_for

DAYS = {"ru": "день|дня|дней", "en": "day|days"}
HOURS = {"ru": "час|часа|часов|часа", "en": "hour|hours"}


@pytest.mark.parametrize(
    ("unit", "value", "lang", "shown"),
    [
        (DAYS, 1, "ru", "день"),
        (DAYS, 21, "ru", "день"),
        (DAYS, 3, "ru", "дня"),
        (DAYS, 3.0, "ru", "дня"),  # a stored float, written "3"
        (DAYS, "22", "ru", "дня"),  # an answer as typed
        (DAYS, 11, "ru", "дней"),
        (DAYS, 25, "ru", "дней"),
        (HOURS, 67.5, "ru", "часа"),  # fractions: the fourth form
        (DAYS, 2.5, "ru", "дней"),  # no fourth form: the last one
        (DAYS, 1, "en", "day"),
        (DAYS, 0, "en", "days"),
        (DAYS, None, "ru", "дней"),  # no number: the general form
        (DAYS, "two", "en", "days"),
        (DAYS, "NaN", "en", "days"),
        ({"ru": "₽ в месяц", "en": "₽ a month"}, 3, "ru", "₽ в месяц"),  # one form for all
    ],
)
def test_the_unit_agrees_with_the_number(unit, value, lang, shown):
    assert unit_for(unit, value, lang) == shown
