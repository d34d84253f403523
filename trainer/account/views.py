from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, user_logged_in
from markupsafe import Markup

from trainer import accounts, audit
from trainer.account import bp
from trainer.account.forms import PasswordChangeForm, ProfileForm
from trainer.extensions import db
from trainer.forms import ActionForm
from trainer.i18n import current_lang
from trainer.learning import cohort_queries
from trainer.learning.enrolment import accept_invitation, decline_invitation
from trainer.models import CohortMember, Role
from trainer.policy import authorize, can, require


@bp.route("/", methods=["GET", "POST"])
@require("account.edit")
def profile():
    form = ProfileForm(obj=current_user)
    if not form.is_submitted() and current_user.locale is None:
        # No language chosen yet: the one the page is in, not the list's first, so that saving
        # a new name does not also switch the site to Russian.
        form.locale.data = current_lang()
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@require("account.edit")
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            accounts.set_password(current_user, form.password.data)
            audit.record(audit.Action.PASSWORD_CHANGED, actor=current_user, target=current_user)
            db.session.commit()
            # Every other session has ended; keep this one signed in with the new version.
            login_user(current_user._get_current_object())
            flash(
                _("Your password has been changed. Other devices have been signed out."), "success"
            )
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form)


# Invitations to cohorts --------------------------------------------------------------------


@user_logged_in.connect
def announce_invitations(_sender, user, **_extra):
    """On sign-in, a learner with pending invitations is told, with a link to answer them."""
    if user.role != Role.LEARNER or not cohort_queries.pending_invitations(user.id):
        return
    refresh()  # the language was chosen before sign-in: now it is the user's own
    flash(
        Markup('{} <a href="{}">{}</a>').format(
            _("A trainer invites you to join a cohort."),
            url_for("account.invitations"),
            _("See the invitation"),
        ),
        "info",
    )


@bp.route("/invitations")
@require("account.invitations")
def invitations():
    """The learner's pending invitations; the trainer can also give this address."""
    rows = [
        (member, cohort)
        for member, cohort in cohort_queries.pending_invitations(current_user.id)
        if can(current_user, "account.invitation.answer", member)
    ]
    return render_template("account/invitations.html", rows=rows, form=ActionForm())


def load_invitation(member_id: int) -> CohortMember:
    member = db.session.get(CohortMember, member_id)
    if member is None or member.user_id != current_user.id:
        abort(404)
    authorize("account.invitation.answer", member)
    return member


@bp.route("/invitations/<int:member_id>/accept", methods=["POST"])
@require("account.invitations")
def accept(member_id: int):
    member = load_invitation(member_id)
    if ActionForm().validate_on_submit():
        accept_invitation(member)
        audit.record(
            audit.Action.INVITATION_ACCEPTED, actor=current_user, target=member,
            cohort_id=member.cohort_id,
        )  # fmt: skip
        db.session.commit()
        flash(_("You have joined the cohort “%(name)s”.", name=member.cohort.name), "success")
        return redirect(url_for("learn.my_training"))
    return redirect(url_for("account.invitations"))


@bp.route("/invitations/<int:member_id>/decline", methods=["POST"])
@require("account.invitations")
def decline(member_id: int):
    member = load_invitation(member_id)
    if ActionForm().validate_on_submit():
        decline_invitation(member)
        audit.record(
            audit.Action.INVITATION_DECLINED, actor=current_user, target=member,
            cohort_id=member.cohort_id,
        )  # fmt: skip
        db.session.commit()
        flash(_("You declined to join “%(name)s”.", name=member.cohort.name), "info")
    return redirect(url_for("account.invitations"))
