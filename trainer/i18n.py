"""Locale choice: the user's setting, then the switcher's choice, then the browser, then ru."""

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from flask import current_app, g, has_app_context, request, session
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from trainer.config import LANGUAGES
from trainer.policy import can

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


# Parsed once: Flask-Babel parses the selector's answer on every request unless it is a Locale.
LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def select_locale() -> Locale | str:
    user = current_user._get_current_object()  # None outside a request
    if user is not None and user.is_authenticated and user.locale in LANGUAGES:
        return LOCALES[user.locale]
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return LOCALES[chosen]
    header = request.headers.get("Accept-Language", "")
    return browser_locale(header, current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=256)
def browser_locale(header: str, default: str) -> Locale | str:
    """The locale the browser's Accept-Language asks for, else `default`: kept per header, as
    parsing it was a third of choosing the locale (most visitors send one of a few)."""
    code = parse_accept_header(header, LanguageAccept).best_match(LANGUAGES) or default
    return LOCALES.get(code, code)


def register_jinja(app) -> None:
    """Babel-formatted dates and numbers, and the switcher's data, in every template."""
    app.extensions["request_i18n"] = {}  # id of a LOCALES value -> what _request_i18n keeps
    app.jinja_env.filters.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_number=format_number,
        t=localized,
        unit=unit_for,
    )
    app.jinja_env.globals.update(
        can=can,
        language_names=LANGUAGE_NAMES,
        current_locale=current_lang,
        product_name=product_name,
    )
    # Flask-Babel's callables look the locale and the catalogue up again for every string;
    # these take them from the request's cache (a page has a hundred strings or more).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_i18n()[2].ugettext(s),
        ngettext=lambda s, p, n: _request_i18n()[2].ungettext(s, p, n),
        pgettext=lambda c, s: _request_i18n()[2].upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_i18n()[2].unpgettext(c, s, p, n),
        newstyle=True,
    )


def _request_i18n() -> tuple:
    """(locale, its code, translations), looked up once per request and kept beside Flask-Babel's
    own cache; valid while that cache holds the same locale object, so refresh() and
    force_locale() (a mail in the recipient's language) are followed."""
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    cached = getattr(ctx, "trainer_i18n", None)
    if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
        return cached
    locale = get_locale()
    if locale is None:  # no app context
        return (locale, str(locale), get_translations())
    # Made once per app for each of LOCALES: Flask-Babel's get_translations() goes through a
    # dozen context-local look-ups (the domain, the locale again, its cache), ~9 us of every
    # page. A locale made by force_locale() (a mail) is looked up each time.
    kept = current_app.extensions["request_i18n"]
    cached = kept.get(id(locale))
    if cached is None or cached[0] is not locale:
        cached = (locale, str(locale), get_translations())
        if any(locale is known for known in LOCALES.values()):
            kept[id(locale)] = cached
    g._flask_babel.trainer_i18n = cached
    return cached


def current_lang() -> str:
    """The page's language code (ru, en)."""
    return _request_i18n()[1]


def format_number(value) -> str:
    """A number in the page's language. Whole numbers from 0 to 999 (percents, counts) are
    written alike in Russian and English, without Babel's pattern look-up."""
    if type(value) is int and 0 <= value < 1000:
        return str(value)
    return format_decimal(value)


def product_name() -> str:
    """TRAINER_PRODUCT_NAME if set, else the name in the page's language (Тренажёр, Trainer)."""
    configured = current_app.config.get("TRAINER_PRODUCT_NAME")
    return configured or _request_i18n()[2].upgettext("product name", "Trainer")


def localized(text) -> str:
    """The current language's side of a bilingual content text ({"ru": ..., "en": ...})."""
    return text.get(current_lang()) if text is not None else ""


# CLDR's plural categories in the order a module writes a unit's forms ("день|дня|дней").
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


def unit_for(unit, value=None, lang: str | None = None) -> str:
    """A number's unit in the page's language (or `lang`), agreeing with `value`. A module may
    write a unit's forms separated by "|" in CLDR's order (ru "день|дня|дней", en "day|days");
    without a value the last form is used ("from 3 to 60 days")."""
    if unit is None:
        return ""
    forms = (unit.get(lang) if lang else localized(unit)).split("|")
    try:
        number = Decimal(str(value))
    except ArithmeticError:  # none, or not a number (an answer as typed): the general form
        return forms[-1]
    if len(forms) == 1 or not number.is_finite():
        return forms[-1]
    if number == number.to_integral_value():
        number = number.to_integral_value()  # 3.0 is written "3": "3 дня"
    rule = (Locale.parse(lang) if lang else _request_i18n()[0]).plural_form
    categories = [c for c in PLURAL_ORDER if c in rule.tags or c == "other"]
    return forms[min(categories.index(rule(number)), len(forms) - 1)]
