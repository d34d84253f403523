from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from trainer.forms import Form
from trainer.models.certificates import CODE_MAX

REASON_MAX = 1000


class VerifyForm(Form):
    class Meta:
        csrf = False  # a GET look-up changes nothing

    code = StringField(
        _l("Verification code or certificate number"),
        validators=[
            DataRequired(_l("Enter the code or the number printed on the certificate.")),
            Length(max=CODE_MAX),
        ],
    )


class RevokeForm(Form):
    reason = TextAreaField(
        _l("Reason for revoking"),
        validators=[
            DataRequired(_l("Say why the certificate is revoked.")),
            Length(max=REASON_MAX),
        ],
    )
    # "yes" once the trainer has seen the confirmation page: revoking cannot be undone.
    confirmed = HiddenField()
