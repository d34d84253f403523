from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from trainer.forms import (
    Form,
    email_field,
    locale_field,
    name_field,
    new_password_fields,
    profession_field,
)
from trainer.submissions import OneSubmission


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this computer"))
    next = HiddenField()


class RegisterForm(OneSubmission, Form):
    """Sent twice (a double click), it makes one account (trainer.auth.registration)."""

    code = StringField(
        _l("Invite code"),
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off"},
    )
    name = name_field()
    email = email_field(new_address=True)
    profession = profession_field()
    locale = locale_field()
    password, confirm = new_password_fields()


class ActivationCodeForm(Form):
    """The code from the activation sheet, for someone who cannot open the link."""

    code = StringField(
        _l("Activation code"),
        validators=[DataRequired(_l("Enter the code from your sheet.")), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )


class ActivationForm(Form):
    """The owner of an imported account sets their name as it should be printed, and a
    password."""

    name = name_field()
    locale = locale_field()
    password, confirm = new_password_fields()


class ForgotPasswordForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password, confirm = new_password_fields()
