"""Fields and choices shared by the forms of several areas."""

from functools import cache

from babel import support
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, ValidationError

from trainer.accounts import mixed_script_problem
from trainer.i18n import LANGUAGE_NAMES, current_lang
from trainer.models import Profession, Role
from trainer.models.users import EMAIL_MAX, NAME_MAX, PROFESSION_LABELS, ROLE_LABELS


class Form(FlaskForm):
    """Every form of Trainer. WTForms' own messages ("Not a valid integer value."...) come in the
    page's language from catalogues read once per process: Flask-WTF reads the file again on
    every request that builds a form (0.4 ms)."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations(current_lang())

    def validate(self, extra_validators=None) -> bool:
        # A number typed with hundreds of digits: WTForms' NumberRange compares it as a float
        # and raised OverflowError (a 500). No field takes one: read as no number, the field's
        # own range message answers, and the page shows what was typed.
        for field in self._fields.values():
            if type(field.data) is int and not -HUGE_NUMBER <= field.data <= HUGE_NUMBER:
                field.data = None
        return super().validate(extra_validators)


HUGE_NUMBER = 2**63


@cache
def wtforms_translations(lang: str) -> support.Translations:
    return support.Translations.load(messages_path(), [lang], domain="wtforms")


PASSWORD_MIN = 10
PASSWORD_MAX = 128


def email_field(label=None, new_address=False):
    """An email field; for a `new_address` (an account made, an address changed), one that
    mixes Latin and Cyrillic letters in a word is refused. Signing in and password recovery
    take any address, so that an account made before this check still gets in."""
    validators = [
        DataRequired(_l("Enter an email address.")),
        Length(max=EMAIL_MAX, message=_l("At most %(max)d characters.")),
        Email(_l("Enter a valid email address."), check_deliverability=False),
    ]
    if new_address:
        validators.append(one_script_address)
    return EmailField(
        label or _l("Email"), validators=validators, render_kw={"autocomplete": "email"}
    )


def one_script_address(_form, field) -> None:
    problem = mixed_script_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def name_field():
    return StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )


def new_password_fields():
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("Between %(min)d and %(max)d characters."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def profession_field(label=None):
    return SelectField(
        label or _l("Profession"),
        choices=[SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
        default=Profession.POLICE.value,
    )


def role_field():
    return SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role],
        default=Role.LEARNER.value,
    )


def locale_field():
    return SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    )


class InviteLimitsForm(Form):
    """How long an invite code lasts and how many people may use it."""

    days = IntegerField(
        _l("Valid for (days)"),
        default=14,
        validators=[NumberRange(1, 365, _l("Between %(min)s and %(max)s."))],
    )
    max_uses = IntegerField(
        _l("Number of people who can use it"),
        default=30,
        validators=[NumberRange(1, 10000, _l("Between %(min)s and %(max)s."))],
    )


class LanguageForm(Form):
    """The switcher in the page header; `next` brings the user back to the same page."""

    next = HiddenField()


class ActionForm(Form):
    """A form with nothing but the CSRF token, for buttons such as "Sign out"."""
