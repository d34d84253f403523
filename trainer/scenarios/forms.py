from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from trainer.forms import Form
from trainer.inputs import DB_INT_MAX

# Ruling value errors from the engine (trainer.learning.scenarios.parse_value), for the form.
RULING_ERRORS = {
    "missing": _l("Fill in this part of the ruling."),
    "unknown-option": _l("Choose one of the options offered."),
    "not-a-number": _l("Enter a number."),
    "out-of-range": _l("Enter a number within the allowed range."),
    "off-step": _l("Enter a number in the allowed steps."),
}


class StartRunForm(Form):
    """Only the CSRF token: starting a run needs nothing else."""


class ActForm(Form):
    """One act in a run. `step` is how many acts the page was made after: an act applies only
    while the run has not moved on, so a second submission of the same page changes nothing.
    The choice (`choice`) and the ruling values (`f-<field id>`) are read by the view because
    they depend on the node."""

    step = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class PairingForm(Form):
    """A trainer pairs a member's runs of an importing scenario with another member's run."""

    # Ids, looked up in INTEGER columns: a larger number was a 500 (out of range).
    importer = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=DB_INT_MAX)])
    run = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=DB_INT_MAX)])


class UnpairForm(Form):
    """Only the CSRF token."""


# Why a pairing is refused (trainer.learning.scenario_imports.PairingError codes).
PAIRING_ERRORS = {
    "not-importing": _l("This scenario does not import from another one."),
    "not-a-member": _l("Both people must be current members of the cohort."),
    "not-the-source": _l("Choose a run of the scenario this one imports from."),
    "not-finished": _l("Choose a run that was played to an ending."),
}
