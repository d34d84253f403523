"""The members page's mail: the cohort's invitation emailed to addresses, and the personal
activation links of imported accounts emailed to their owners (trainer.cohorts.mailing).

The page itself is trainer.cohorts.views.members; its template asks `invitation_panel` for
the forms and for who has not answered yet.
"""

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from trainer.cohorts import mailing
from trainer.cohorts.forms import MailingForm
from trainer.cohorts.operations import create_cohort_invite
from trainer.cohorts.views import bp, load_cohort, load_member
from trainer.extensions import db, limiter
from trainer.forms import Form, locale_field
from trainer.learning import cohort_queries as queries
from trainer.models import Cohort
from trainer.policy import authorize, can, require
from trainer.submissions import OneSubmission, token_of

NEW_CODE = "new"
NEW_CODE_DAYS = 30


def mail_limit() -> str:
    """How often one person may send a cohort's mail (each post may reach many people)."""
    return current_app.config.get("COHORT_MAIL_RATE_LIMIT", "30 per hour")


def mail_key() -> str:
    return f"cohort-mail:{current_user.get_id()}"


mail_rate = limiter.shared_limit(mail_limit, scope="cohort-mail", key_func=mail_key)


class InvitationEmailForm(OneSubmission, Form):
    """The cohort's invitation, to addresses typed or pasted (one or several a line)."""

    addresses = TextAreaField(
        _l("Email addresses"),
        validators=[DataRequired(_l("Enter at least one email address.")),
                    Length(max=60_000, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 4, "autocomplete": "off"},
    )  # fmt: skip
    # One of the cohort's invite codes that can still be used, or a new one for this mailing.
    code = SelectField(_l("Invite code"))
    locale = locale_field()


def invitation_form(cohort: Cohort) -> InvitationEmailForm:
    form = InvitationEmailForm()
    form.code.choices = [
        (NEW_CODE, _("A new code for these addresses (valid %(days)s days)", days=NEW_CODE_DAYS))
    ] + [
        (invite.code, _("%(code)s (%(left)s places left)", code=invite.code,
                        left=invite.max_uses - invite.uses))
        for invite in mailing.usable_invites(cohort)
    ]  # fmt: skip
    return form


@bp.app_template_global()
def invitation_panel(cohort: Cohort) -> dict | None:
    """What the members page shows about mail: None for whoever may not change the cohort."""
    if not can(current_user, "cohorts.change", cohort):
        return None
    return {
        "form": invitation_form(cohort),
        "action": MailingForm(),
        "unanswered": mailing.unanswered_invitations(cohort),
        "mailings": mailing.mailings(cohort),
        "waiting": len(queries.awaiting_activation(cohort.id)),
    }


def flash_sending(result: mailing.Sending, sent_message: str) -> None:
    if result.sent:
        flash(sent_message, "success")
    if result.failed:
        flash(
            ngettext("The mail server is not available: %(num)s message was not sent. Nothing "
                     "was recorded for it; try again later.",
                     "The mail server is not available: %(num)s messages were not sent. Nothing "
                     "was recorded for them; try again later.", result.failed),
            "error",
        )  # fmt: skip


def chosen_invite(cohort: Cohort, form: InvitationEmailForm, addresses: int):
    if form.code.data == NEW_CODE:
        return create_cohort_invite(cohort, NEW_CODE_DAYS, max(addresses, 1), current_user)
    return next(i for i in mailing.usable_invites(cohort) if i.code == form.code.data)


@bp.route("/<int:cohort_id>/invitations/email", methods=["POST"])
@require("cohorts.list")
@mail_rate
def email_invitations(cohort_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    form = invitation_form(cohort)
    back = redirect(url_for("cohorts.members", cohort_id=cohort.id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    addresses = mailing.parse_addresses(form.addresses.data)
    if addresses.invalid:
        flash(_("Not valid email addresses, nothing was sent: %(list)s",
                list=", ".join(addresses.invalid[:20])), "error")  # fmt: skip
    for problem in addresses.mixed[:20]:
        flash(str(problem), "error")
    if addresses.mixed and not addresses.invalid:
        flash(_("Nothing was sent."), "error")
    if addresses.invalid or addresses.mixed:
        return back
    if len(addresses.valid) > mailing.MAX_ADDRESSES:
        flash(_("At most %(max)s addresses at a time.", max=mailing.MAX_ADDRESSES), "error")
        return back
    token = token_of(form)
    if not claimed(token):
        return back
    invite = chosen_invite(cohort, form, len(addresses.valid))
    result = mailing.send_invitations(
        cohort, invite, addresses.valid, form.locale.data, current_user
    )
    if not result.sent:
        db.session.rollback()  # no code nobody was sent
        mailing.release(token)
    db.session.commit()
    flash_sending(result, ngettext("Invitation sent to %(num)s address.",
                                   "Invitation sent to %(num)s addresses.", len(result.sent)))
    if result.members:
        flash(_("Already members, not sent: %(list)s", list=", ".join(result.members)), "info")
    return back


@bp.route("/<int:cohort_id>/activation/email", methods=["POST"])
@require("cohorts.list")
@mail_rate
def email_activation_links(cohort_id: int):
    """A new personal activation link, by email, to every account of the cohort that nobody
    has activated yet (their earlier links stop working)."""
    cohort = load_cohort(cohort_id, "cohorts.change")
    form = MailingForm()
    if form.validate_on_submit():
        send_activation(cohort, queries.awaiting_activation(cohort.id), token_of(form))
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/learners/<int:user_id>/activation/email", methods=["POST"])
@require("cohorts.list")
@mail_rate
def email_activation_link(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    member = load_member(cohort, user_id)
    authorize("cohorts.member.activation_email", member)
    form = MailingForm()
    if form.validate_on_submit():
        send_activation(cohort, [member.user], token_of(form))
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


def claimed(token: str) -> bool:
    """Claim the mailing form's submission before any message goes (committed: a repeat, or
    a request at the same moment, then finds it); False, with a message, if it was sent."""
    if not mailing.claim(token, current_user.id):
        flash(_("Sent once: the same form arrived twice."), "info")
        return False
    db.session.commit()
    return True


def send_activation(cohort: Cohort, users: list, token: str) -> None:
    if not users:
        flash(_("Every account of the cohort has been activated."), "info")
        return
    if not claimed(token):
        return
    result = mailing.send_activation_links(cohort, users, current_user)
    if not result.sent:
        mailing.release(token)
    db.session.commit()
    flash_sending(result, ngettext("Activation link sent to %(num)s person.",
                                   "Activation links sent to %(num)s people.", len(result.sent)))
