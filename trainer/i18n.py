"""Locale choice: the user's setting, then the switcher's choice, then the browser, then ru."""

from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, pgettext
from flask_login import current_user

from trainer.config import LANGUAGES
from trainer.policy import can

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("locale") in LANGUAGES:
        return session["locale"]
    return (
        request.accept_languages.best_match(LANGUAGES) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def register_jinja(app) -> None:
    """Babel-formatted dates and numbers, and the switcher's data, in every template."""
    app.jinja_env.filters.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_number=format_decimal,
        t=localized,
    )
    app.jinja_env.globals.update(
        can=can,
        language_names=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
        product_name=product_name,
    )


def product_name() -> str:
    """TRAINER_PRODUCT_NAME if set, else the name in the page's language (Тренажёр, Trainer)."""
    return current_app.config.get("TRAINER_PRODUCT_NAME") or pgettext("product name", "Trainer")


def localized(text) -> str:
    """The current language's side of a bilingual content text ({"ru": ..., "en": ...})."""
    return text.get(str(get_locale())) if text is not None else ""
