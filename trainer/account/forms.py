from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired

from trainer.forms import Form, email_field, locale_field, name_field, new_password_fields


class ProfileForm(Form):
    name = name_field()
    locale = locale_field()


class PasswordChangeForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class EmailChangeForm(Form):
    """A new address; it takes effect once confirmed from that address."""

    email = email_field(_l("New email address"), new_address=True)
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
