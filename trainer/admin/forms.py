from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField
from wtforms.validators import Length, Optional

from trainer.forms import (
    InviteLimitsForm,
    email_field,
    name_field,
    new_password_fields,
    profession_field,
    role_field,
)


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Search by name or email"), validators=[Optional(), Length(max=254)])


class UserCreateForm(FlaskForm):
    name = name_field()
    email = email_field()
    role = role_field()
    profession = profession_field()
    password, confirm = new_password_fields()


class UserEditForm(FlaskForm):
    name = name_field()
    role = role_field()
    profession = profession_field()
    active = BooleanField(_l("Account active (can sign in)"))


class InviteForm(InviteLimitsForm):
    role = role_field()
    profession = profession_field(_l("Profession of those who register"))
