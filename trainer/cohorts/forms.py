from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from trainer.forms import ActionForm, Form, InviteLimitsForm
from trainer.learning.dashboard import FAILED_TWICE, OVERDUE
from trainer.models import Profession, Status
from trainer.models.users import PROFESSION_LABELS
from trainer.submissions import OneSubmission

STATUS_LABELS = {
    Status.NOT_STARTED: _l("Not started"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.COMPLETED: _l("Completed"),
    OVERDUE: _l("Overdue"),
}
# The dashboard's summary of a learner over all assignments, in the order it is shown.
SUMMARY_LABELS = {
    Status.NOT_STARTED: _l("Not started yet"),
    Status.IN_PROGRESS: _l("Still in progress"),
    OVERDUE: _l("Overdue"),
    FAILED_TWICE: _l("Failed a quiz twice"),
    Status.COMPLETED: _l("Completed everything"),
}


class CohortForm(OneSubmission, Form):
    name = StringField(
        _l("Name of the cohort"),
        validators=[
            DataRequired(_l("Enter the name of the cohort.")),
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
    # Checkboxes, as the professions: a multiple <select> needs Ctrl (⌘ on a Mac) held.
    trainer_ids = SelectMultipleField(
        _l("Trainers"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
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


class AssignmentForm(Form):
    module = SelectField(_l("Module"), coerce=int)
    # "" follows the latest version; otherwise a version id of the chosen module.
    version = SelectField(_l("Version"), validators=[Optional()])
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])
    # Assigning an assigned module again keeps its due date unless this is ticked.
    clear_due = BooleanField(_l("Remove the due date"))

    def validate_clear_due(self, field):
        if field.data and self.due_on.data:
            raise ValidationError(_l("Either enter a due date or remove it, not both."))


class LearnerProfessionForm(Form):
    """The trainer corrects a learner's profession (learners cannot change their own)."""

    profession = SelectField(
        _l("Profession"),
        choices=[SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
    )


class RosterUploadForm(Form):
    roster = FileField(_l("Roster file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))])


class RosterConfirmForm(Form):
    payload = HiddenField(validators=[DataRequired()])


class CohortInviteForm(OneSubmission, InviteLimitsForm):
    """An invite that registers people straight into the cohort."""


def stripped(value):
    return value.strip() if isinstance(value, str) else value


class DashboardFilterForm(Form):
    """The dashboard's address: filters, search, sort and page (kept in the URL)."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    # Stripped: Optional() passes a value of spaces (`?profession=%20`) with its choice error
    # cleared, and the query took '   ' for a profession (a 500).
    profession = SelectField(
        _l("Profession"),
        choices=[SelectChoice("", _l("All professions"))]
        + [SelectChoice(p.value, PROFESSION_LABELS[p]) for p in Profession],
        validators=[Optional()],
        filters=[stripped],
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status"))]
        + [SelectChoice(str(key), label) for key, label in SUMMARY_LABELS.items()],
        validators=[Optional()],
        filters=[stripped],
    )
    q = SearchField(_l("Name or email"), validators=[Optional(), Length(max=100)])
    sort = StringField(validators=[Optional(), Length(max=20)])
    dir = SelectField(
        choices=[SelectChoice("asc", "asc"), SelectChoice("desc", "desc")], validators=[Optional()]
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])
    chart = IntegerField(validators=[Optional()])


class ExportForm(Form):
    """The file the trainer downloads: XLSX, or CSV with the separator of their Excel."""

    class Meta:
        csrf = False

    format = SelectField(
        _l("File"),
        choices=[
            SelectChoice("xlsx", _l("Excel workbook (XLSX)")),
            SelectChoice("csv-semicolon", _l("CSV, separated by semicolons (Russian Excel)")),
            SelectChoice("csv-comma", _l("CSV, separated by commas")),
        ],
        default="xlsx",
    )


class MailingForm(OneSubmission, ActionForm):
    """A button that emails (activation links): sent twice, it sends once."""
