from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from trainer.forms import InviteLimitsForm
from trainer.learning.dashboard import OVERDUE
from trainer.models import Profession, Status
from trainer.models.users import PROFESSION_LABELS

STATUS_LABELS = {
    Status.NOT_STARTED: _l("Not started"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.COMPLETED: _l("Completed"),
    OVERDUE: _l("Overdue"),
}


class CohortForm(FlaskForm):
    name = StringField(
        _l("Name of the cohort"),
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )
    region = StringField(
        _l("Region or agency"),
        validators=[Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    # Not "trainers": the form must not fill this from the Cohort object (Users, not ids).
    trainer_ids = SelectMultipleField(_l("Trainers"), coerce=int)
    # Its invite codes register people with one of these professions, and no other.
    professions = SelectMultipleField(
        _l("Professions of the cohort"),
        choices=[SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
        validators=[DataRequired(_l("Choose at least one profession."))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


class AssignmentForm(FlaskForm):
    module = SelectField(_l("Module"), coerce=int)
    # "" follows the latest version; otherwise a version id of the chosen module.
    version = SelectField(_l("Version"), validators=[Optional()])
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


class LearnerProfessionForm(FlaskForm):
    """The trainer corrects a learner's profession (learners cannot change their own)."""

    profession = SelectField(
        _l("Profession"),
        choices=[SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
    )


class RosterUploadForm(FlaskForm):
    roster = FileField(_l("Roster file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))])


class RosterConfirmForm(FlaskForm):
    payload = HiddenField(validators=[DataRequired()])


class CohortInviteForm(InviteLimitsForm):
    """An invite that registers people straight into the cohort."""


class DashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    profession = SelectField(
        _l("Profession"),
        choices=[SelectChoice("", _l("All professions"))]
        + [SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status"))]
        + [SelectChoice(str(key), label) for key, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
