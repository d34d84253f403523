from datetime import date

from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from trainer.audit import Action
from trainer.forms import (
    Form,
    InviteLimitsForm,
    email_field,
    name_field,
    new_password_fields,
    profession_field,
    role_field,
)
from trainer.submissions import OneSubmission


class UserSearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Search by name or email"), validators=[Optional(), Length(max=254)])


class UserCreateForm(OneSubmission, Form):
    """Sent twice (a double click), it makes one account (admin.views.user_create)."""

    name = name_field()
    email = email_field(new_address=True)
    role = role_field()
    profession = profession_field()
    password, confirm = new_password_fields()


class UserEditForm(Form):
    name = name_field()
    role = role_field()
    profession = profession_field()
    active = BooleanField(_l("Account active (can sign in)"))


class InviteForm(OneSubmission, InviteLimitsForm):
    role = role_field()
    profession = profession_field(_l("Profession of those who register"))


# The days the audit log can filter on: a typed year 1 or 9999 is a message, not an overflow of
# the day's start in the organisation's time zone.
AUDIT_FIRST_DAY = date(2000, 1, 1)
AUDIT_LAST_DAY = date(2999, 12, 31)


def audit_day(form, field):
    if field.data is not None and not AUDIT_FIRST_DAY <= field.data <= AUDIT_LAST_DAY:
        # The days as the reader's language writes them, as elsewhere in the app.
        raise ValidationError(
            gettext(
                "Enter a date from %(first)s to %(last)s.",
                first=format_date(AUDIT_FIRST_DAY),
                last=format_date(AUDIT_LAST_DAY),
            )
        )


class AuditFilterForm(Form):
    """Filters of the audit log, read from the query string."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(_l("Action"), validators=[Optional()])
    email = SearchField(
        _l("Person's email (or part of it)"), validators=[Optional(), Length(max=254)]
    )
    date_from = DateField(_l("From"), validators=[Optional(), audit_day])
    date_to = DateField(_l("To"), validators=[Optional(), audit_day])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("Any action"))] + [
            (action.value, action.label) for action in Action
        ]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
