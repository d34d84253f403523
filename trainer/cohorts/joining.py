"""Joining a cohort: enrolment from a roster file (preview, then confirm), the sheet of
activation links for the accounts it created, and the cohort's invite codes.

A trainer's enrolment invites existing accounts (the membership stays pending until its
owner accepts); an admin's enrols them at once (trainer.learning.enrolment).
"""

import base64
import zlib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from itsdangerous import BadSignature, TimestampSigner

from trainer import accounts, audit
from trainer.cohorts.forms import CohortInviteForm, RosterConfirmForm, RosterUploadForm
from trainer.cohorts.operations import create_cohort_invite
from trainer.cohorts.views import bp, load_cohort
from trainer.extensions import db
from trainer.forms import ActionForm
from trainer.learning import cohort_queries as queries
from trainer.learning.enrolment import (
    MAX_ROSTER_BYTES,
    RosterError,
    apply_enrolment,
    parse_roster,
    plan_enrolment,
)
from trainer.models import Cohort, Profession
from trainer.models.types import utcnow
from trainer.models.users import PROFESSION_LABELS
from trainer.policy import authorize, can, require
from trainer.submissions import NO_STORE, token_of

# The preview carries the uploaded file to the confirm step in a hidden field, compressed and
# signed with the app's SECRET_KEY (salted per cohort and trainer): nothing is stored before
# the trainer confirms, and a tampered or stale (over an hour) payload is refused.
PREVIEW_MAX_AGE = 3600


# Enrolment ---------------------------------------------------------------------------------


def roster_signer(cohort: Cohort) -> TimestampSigner:
    salt = f"cohort-roster:{cohort.id}:{current_user.id}"
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=salt)


def pack_roster(cohort: Cohort, data: bytes) -> str:
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9))
    return roster_signer(cohort).sign(packed).decode("ascii")


def unpack_roster(cohort: Cohort, payload: str) -> bytes | None:
    try:
        packed = roster_signer(cohort).unsign(payload, max_age=PREVIEW_MAX_AGE)
        return zlib.decompress(base64.urlsafe_b64decode(packed), bufsize=MAX_ROSTER_BYTES)
    except (BadSignature, ValueError, zlib.error):
        return None


def too_large_message() -> str:
    return _("The file is larger than 2 MB. Split it into smaller files.")


@bp.route("/<int:cohort_id>/enrol", methods=["GET", "POST"])
@require("cohorts.list")
def enrol(cohort_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    form = RosterUploadForm()
    # A body well over the limit is refused before the file is read (the app's own limit, far
    # higher, would show a bare 413 page instead of this form).
    if request.method == "POST" and (request.content_length or 0) > MAX_ROSTER_BYTES + 64 * 1024:
        form.roster.errors = [too_large_message()]
    elif form.validate_on_submit():
        data = form.roster.data.read(MAX_ROSTER_BYTES + 1)
        try:
            roster = parse_roster(data)
        except RosterError as error:
            form.roster.errors = [str(error)]
        else:
            plan = plan_enrolment(roster.rows, cohort, direct=enrols_directly())
            confirm = RosterConfirmForm(payload=pack_roster(cohort, data))
            return render_template(
                "cohorts/enrol_preview.html", cohort=cohort, plan=plan, roster=roster, form=confirm
            )
    return render_template(
        "cohorts/enrol.html", cohort=cohort, form=form, max_bytes=MAX_ROSTER_BYTES
    )


@bp.route("/<int:cohort_id>/enrol/confirm", methods=["POST"])
@require("cohorts.list")
def enrol_confirm(cohort_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    form = RosterConfirmForm()
    data = unpack_roster(cohort, form.payload.data or "") if form.validate_on_submit() else None
    if data is None:
        flash(_("The preview has expired or was changed. Upload the file again."), "error")
        return redirect(url_for("cohorts.enrol", cohort_id=cohort.id))
    # Planned again against the database as it is now: confirming twice changes nothing.
    plan = plan_enrolment(parse_roster(data).rows, cohort, direct=enrols_directly())
    result = apply_enrolment(plan)
    audit.record_each(
        audit.Action.ENROLLED, current_user, result.created, cohort_id=cohort.id, via="roster",
        new_account=True,
    )  # fmt: skip
    audit.record_each(
        audit.Action.ENROLLED, current_user, result.enrolled, cohort_id=cohort.id, via="roster",
        invited=not plan.direct, direct=plan.direct,
    )  # fmt: skip
    db.session.commit()
    flash(enrolment_message(len(result.created), len(result.enrolled), plan.direct), "success")
    if result.created:
        flash(
            _("People with new accounts have no password yet: print their activation links "
              "and hand each person their own."),
            "info",
        )  # fmt: skip
        return redirect(url_for("cohorts.activation", cohort_id=cohort.id))
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


def enrols_directly() -> bool:
    """An admin enrols existing accounts at once; a trainer only invites them."""
    return can(current_user, "cohorts.enrol.direct")


def enrolment_message(created: int, enrolled: int, direct: bool) -> str:
    if not created and not enrolled:
        return _("Nothing to change: everyone in the file is already in the cohort or invited.")
    existing = (
        ngettext("%(num)s existing account enrolled.", "%(num)s existing accounts enrolled.",
                 enrolled)
        if direct
        else ngettext("%(num)s existing account invited: they join when they accept.",
                      "%(num)s existing accounts invited: they join when they accept.", enrolled)
    )  # fmt: skip
    created_text = ngettext("%(num)s account created.", "%(num)s accounts created.", created)
    return " ".join([_("Enrolment done."), created_text, existing])


# Activation sheet --------------------------------------------------------------------------


@bp.route("/<int:cohort_id>/activation", methods=["GET", "POST"])
@require("cohorts.list")
def activation(cohort_id: int):
    """The accounts created for this cohort that nobody has activated yet; posting prints a
    sheet of new personal one-time links (the previous ones stop working)."""
    cohort = load_cohort(cohort_id, "cohorts.change")
    waiting = queries.awaiting_activation(cohort.id)
    form = ActionForm()
    if form.validate_on_submit() and waiting:
        issued = accounts.issue_activation_codes(waiting, current_user)
        db.session.commit()
        return render_template(
            "cohorts/activation_sheet.html",
            cohort=cohort,
            issued=issued,
            days=accounts.ACTIVATION_DAYS,
        )
    return render_template("cohorts/activation.html", cohort=cohort, waiting=waiting, form=form)


# Invite codes ------------------------------------------------------------------------------


@bp.route("/<int:cohort_id>/invites", methods=["GET", "POST"])
@require("cohorts.list")
def invites(cohort_id: int):
    cohort = load_cohort(cohort_id)
    form = CohortInviteForm()
    if form.is_submitted():
        authorize("cohorts.change", cohort)
    if form.validate_on_submit():
        invite = create_cohort_invite(
            cohort, form.days.data, form.max_uses.data, current_user, token_of(form)
        )  # sent twice, the form finds the code it made
        db.session.commit()
        flash(_("Invite code %(code)s created.", code=invite.code), "success")
        return redirect(url_for("cohorts.invites", cohort_id=cohort.id))
    page = render_template(
        "cohorts/invites.html",
        cohort=cohort,
        form=form,
        codes=queries.cohort_invites(cohort.id),
        now=utcnow(),
        professions=[str(PROFESSION_LABELS[p]) for p in cohort_professions(cohort)],
    )
    return page, NO_STORE


def cohort_professions(cohort: Cohort) -> list[Profession]:
    return [p for p in Profession if p.value in (cohort.professions or [])]


# The members page's mail (invitations and activation links by email) lives in its own module.
from trainer.cohorts import invitations  # noqa: E402, F401  (routes attach to bp)
