"""Forms of classroom mode. Choices and ruling values (`choice`, `f-<field id>`) depend on the
node and are read by the views, as in the single-player scenario pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from trainer.forms import Form
from trainer.learning.classroom import GUEST_NAME_MAX, MAJORITY, TRAINER
from trainer.models.users import PROFESSION_LABELS
from trainer.submissions import OneSubmission


class StartForm(OneSubmission, Form):
    """A trainer starts a live session of a scenario; `cohort` 0 is "anyone with the code"."""

    cohort = SelectField(_l("Who may join"), coerce=int, validate_choice=True)
    allow_guests = BooleanField(_l("Guests may join by name, without an account"))
    counts_progress = BooleanField(_l("Count this session toward the participants' progress"))


class CountingForm(Form):
    """The trainer counts the session toward progress ("1") or stops counting it ("0")."""

    counts = SelectField(choices=[SelectChoice("1"), SelectChoice("0")], validate_choice=True)


class StepForm(Form):
    """A trainer's act or a vote, made at step `step`: once the room has moved on it applies
    to nothing (a second click, a page left open)."""

    step = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=10_000)])


class AdvanceForm(StepForm):
    by = SelectField(choices=[SelectChoice(MAJORITY), SelectChoice(TRAINER)], validate_choice=True)


class JoinForm(OneSubmission, Form):
    """Signed in: nothing but the token. A guest gives a name and a profession."""

    name = StringField(_l("Your name"), validators=[Optional(), Length(max=GUEST_NAME_MAX)])
    profession = SelectField(
        _l("Your profession"),
        choices=[SelectChoice(p.value, label) for p, label in PROFESSION_LABELS.items()],
        default="other",
        validate_choice=True,
    )


# Why an act was refused (trainer.learning.classroom.Refused reasons), for flash messages.
REFUSALS = {
    "closed": _l("This session has ended."),
    "vote-closed": _l("The vote is closed: your vote was not counted."),
    "moved-on": _l("The trial has moved on; here is where it stands now."),
    "not-offered": _l("That choice is not offered here."),
    "no-vote-here": _l("There is nothing to vote on at this point."),
    "not-a-participant": _l("Join the session to vote."),
    "guests-not-allowed": _l("This session is for signed-in participants: please sign in."),
    "not-in-cohort": _l("This session is for the members of its cohort."),
    "guest-name": _l("Enter your name (up to 80 characters) to join."),
    "still-voting": _l("Close the vote first."),
    "no-majority": _l("There is no majority (a tie, or no votes): choose the way on yourself."),
    "ended": _l("The trial has reached an ending."),
}
