"""Cohort pages: list, create and edit, enrolment, assignments, invites and the dashboard.

Views load, authorize through trainer.policy, call the domain (trainer.learning.dashboard,
trainer.learning.enrolment, trainer.cohorts.operations) and render; each commits once.
"""

import base64
import zlib
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import select

from trainer import accounts
from trainer.cohorts import charts
from trainer.cohorts.forms import (
    STATUS_LABELS,
    AssignmentForm,
    CohortForm,
    CohortInviteForm,
    DashboardFilterForm,
    LearnerProfessionForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from trainer.cohorts.my_training import assignment_title
from trainer.cohorts.operations import (
    CohortData,
    CohortError,
    assign_module,
    create_cohort_invite,
    due_in_past,
    remove_member,
    save_cohort,
)
from trainer.extensions import db
from trainer.forms import ActionForm
from trainer.i18n import localized
from trainer.learning import cohort_queries as queries
from trainer.learning import dashboard
from trainer.learning.content import content_of
from trainer.learning.enrolment import (
    MAX_ROSTER_BYTES,
    RosterError,
    accept_invitation,
    apply_enrolment,
    parse_roster,
    plan_enrolment,
)
from trainer.models import Assignment, Cohort, CohortMember, Profession, Status
from trainer.models.types import utcnow
from trainer.models.users import PROFESSION_LABELS
from trainer.policy import authorize, can, require

bp = Blueprint("cohorts", __name__, template_folder="templates")

# The preview carries the uploaded file to the confirm step in a hidden field, compressed and
# signed with the app's SECRET_KEY (salted per cohort and trainer): nothing is stored before
# the trainer confirms, and a tampered or stale (over an hour) payload is refused.
PREVIEW_MAX_AGE = 3600


def load_cohort(cohort_id: int, action: str = "cohorts.view") -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    authorize(action, cohort)
    return cohort


def today() -> date:
    return to_user_timezone(utcnow()).date()


# List, create, edit ------------------------------------------------------------------------


@bp.route("/")
@require("cohorts.list")
def index():
    return render_template("cohorts/index.html", rows=queries.visible_cohorts(current_user))


@bp.route("/new", methods=["GET", "POST"])
@require("cohorts.create")
def create():
    return edit_form(Cohort())


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@require("cohorts.list")
def edit(cohort_id: int):
    return edit_form(load_cohort(cohort_id, "cohorts.change"))


def edit_form(cohort: Cohort):
    form = CohortForm(obj=cohort if cohort.id else None)
    form.trainer_ids.choices = [(u.id, u.name) for u in queries.trainer_accounts()]
    if request.method == "GET":
        form.trainer_ids.data = [u.id for u in cohort.trainers] or [current_user.id]
    if request.method == "GET" and not cohort.id:
        form.professions.data = []  # a new cohort names its professions
    if form.validate_on_submit():
        data = CohortData(
            form.name.data,
            form.region.data,
            form.starts_on.data,
            form.ends_on.data,
            form.trainer_ids.data or [],
            form.professions.data,
        )
        save_cohort(cohort, data, current_user)
        db.session.commit()
        flash(_("Cohort “%(name)s” saved.", name=cohort.name), "success")
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort)


# Dashboard ---------------------------------------------------------------------------------


def cohort_matrix(cohort: Cohort):
    """Assignments and matrix rows of the whole cohort: three queries, whatever its size."""
    assignments = queries.cohort_assignments(cohort.id)
    learners = queries.cohort_learners(cohort.id)
    progress = queries.cohort_progress(cohort.id)
    return assignments, dashboard.build_matrix(learners, assignments, progress, today())


@bp.route("/<int:cohort_id>/", endpoint="dashboard")
@require("cohorts.list")
def dashboard_page(cohort_id: int):
    cohort = load_cohort(cohort_id)
    filters = DashboardFilterForm(request.args)
    assignments, rows = cohort_matrix(cohort)
    shown = rows
    if filters.validate():  # an unknown value in the address shows everyone
        shown = dashboard.filter_matrix(rows, filters.profession.data, filters.status.data)
    return render_template(
        "cohorts/dashboard.html",
        cohort=cohort,
        filters=filters,
        columns=[(a, assignment_title(a)) for a in assignments],
        rows=shown,
        total=len(rows),
        totals=dashboard.column_totals(shown, len(assignments)),
        today=today(),
        # Translated once, not once per row: a thousand lazy strings cost a tenth of a second.
        professions={p: str(label) for p, label in PROFESSION_LABELS.items()},
    )


@bp.route("/<int:cohort_id>/export.csv")
@require("cohorts.list")
def export(cohort_id: int):
    cohort = load_cohort(cohort_id)
    assignments, rows = cohort_matrix(cohort)
    labels = {
        "status": _("status"),
        "quiz": _("best quiz score"),
        "scenario": _("best scenario score"),
        "overdue": _("overdue"),
        "yes": _("yes"),
        "profession": lambda p: str(PROFESSION_LABELS[Profession(p)]),
        "status_of": lambda s: str(STATUS_LABELS[s]),
    }
    headings = [_("Name"), _("Email"), _("Profession")]
    titles = [localized(assignment_title(a)) for a in assignments]
    table = dashboard.export_table(rows, headings, titles, labels)
    return Response(
        dashboard.csv_bytes(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="cohort-{cohort.id}.csv"'},
    )


# One learner -------------------------------------------------------------------------------


def load_member(cohort: Cohort, user_id: int) -> CohortMember:
    member = db.session.scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id
        )
    )
    if member is None:
        abort(404)
    return member


@bp.route("/<int:cohort_id>/learners/<int:user_id>")
@require("cohorts.list")
def learner(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    member = load_member(cohort, user_id)
    authorize("cohorts.learner.view", member)  # nothing of a pending invitation
    assignments = queries.cohort_assignments(cohort.id)
    progress = queries.learner_progress(user_id, [a.module_id for a in assignments])
    [row] = dashboard.build_matrix([member.user], assignments, progress, today())
    events = queries.learner_events(cohort.id, user_id)
    titles = {a.module.slug: assignment_title(a) for a in assignments}
    return render_template(
        "cohorts/learner.html",
        cohort=cohort,
        member=member,
        assigned=list(zip([(a, assignment_title(a)) for a in assignments], row.cells, strict=True)),
        attempts=dashboard.quiz_attempts(events),
        runs=dashboard.scenario_runs(events),
        events=events,
        titles=titles,
        form=ActionForm(),
        profession_form=LearnerProfessionForm(profession=member.user.profession.value),
    )


@bp.route("/<int:cohort_id>/learners/<int:user_id>/remove", methods=["POST"])
@require("cohorts.list")
def remove_learner(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    member = load_member(cohort, user_id)
    if ActionForm().validate_on_submit():
        pending = member.pending
        remove_member(member)
        db.session.commit()
        if pending:  # the account's name is not the trainer's to see
            flash(_("The invitation to %(email)s was withdrawn.", email=member.user.email), "info")
        else:
            flash(
                _(
                    "%(name)s was removed from the cohort; their records are kept.",
                    name=member.user.name,
                ),
                "info",
            )
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/learners/<int:user_id>/profession", methods=["POST"])
@require("cohorts.list")
def learner_profession(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    member = load_member(cohort, user_id)
    authorize("cohorts.learner.profession", member)
    form = LearnerProfessionForm()
    if form.validate_on_submit():
        member.user.profession = Profession(form.profession.data)
        db.session.commit()
        flash(
            _("The profession of %(name)s is now “%(profession)s”.", name=member.user.name,
              profession=member.user.profession.label),
            "success",
        )  # fmt: skip
    else:
        flash(_("Choose a profession from the list."), "error")
    return redirect(url_for("cohorts.learner", cohort_id=cohort.id, user_id=user_id))


@bp.route("/<int:cohort_id>/learners/<int:user_id>/confirm", methods=["POST"])
@require("cohorts.list")
def confirm_member(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    member = load_member(cohort, user_id)
    authorize("cohorts.member.confirm", member)
    if ActionForm().validate_on_submit():
        accept_invitation(member)
        db.session.commit()
        flash(_("%(name)s is enrolled in the cohort.", name=member.user.name), "success")
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/members")
@require("cohorts.list")
def members(cohort_id: int):
    cohort = load_cohort(cohort_id)
    return render_template(
        "cohorts/members.html",
        cohort=cohort,
        rows=queries.all_members(cohort.id),
        professions={p: str(label) for p, label in PROFESSION_LABELS.items()},
        form=ActionForm(),
    )


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


# Assignments -------------------------------------------------------------------------------


def assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    form.module.choices = [
        (m.id, content_of(m.latest_version).meta.title) for m in queries.synced_modules()
    ]
    form.version.choices = [("", _("Follow the latest version"))] + [
        (str(v.id), _("%(slug)s, version %(number)s", slug=v.slug, number=v.number))
        for v in queries.module_versions()
    ]
    return form


@bp.route("/<int:cohort_id>/assignments", methods=["GET", "POST"])
@require("cohorts.list")
def assignments(cohort_id: int):
    cohort = load_cohort(cohort_id)
    form = assignment_form()
    if form.is_submitted():
        authorize("cohorts.change", cohort)
    if form.validate_on_submit():
        version_id = int(form.version.data) if form.version.data else None
        try:
            assign_module(cohort, form.module.data, version_id, form.due_on.data)
        except CohortError:
            form.version.errors = [_("This version belongs to another module.")]
        else:
            db.session.commit()
            flash(_("Module assigned."), "success")
            if due_in_past(form.due_on.data, today()):
                flash(
                    _("The due date is in the past: the assignment shows as overdue at once."),
                    "warning",
                )
            return redirect(url_for("cohorts.assignments", cohort_id=cohort.id))
    current = queries.cohort_assignments(cohort.id)
    return render_template(
        "cohorts/assignments.html",
        cohort=cohort,
        form=form,
        rows=[(a, assignment_title(a)) for a in current],
        action_form=ActionForm(),
        today=today(),
    )


def load_assignment(cohort: Cohort, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.cohort_id != cohort.id:
        abort(404)
    return assignment


@bp.route("/<int:cohort_id>/assignments/<int:assignment_id>/remove", methods=["POST"])
@require("cohorts.list")
def remove_assignment(cohort_id: int, assignment_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    assignment = load_assignment(cohort, assignment_id)
    if ActionForm().validate_on_submit():
        # Only the assignment goes: the learners' progress in the module stays.
        db.session.delete(assignment)
        db.session.commit()
        flash(_("Assignment removed. Learners keep their progress in the module."), "info")
    return redirect(url_for("cohorts.assignments", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/assignments/<int:assignment_id>")
@require("cohorts.list")
def assignment(cohort_id: int, assignment_id: int):
    cohort = load_cohort(cohort_id)
    assignment = load_assignment(cohort, assignment_id)
    title = assignment_title(assignment)
    members = len(queries.cohort_learners(cohort.id))
    rows = queries.cohort_progress(cohort.id, [assignment.module_id])
    series = completion_series(cohort, assignment, rows)
    quiz_bins = dashboard.score_histogram(scores(rows, "quizzes"))
    scenario_bins = dashboard.score_histogram(scores(rows, "scenarios"))
    label = localized(title)
    return render_template(
        "cohorts/assignment.html",
        cohort=cohort,
        assignment=assignment,
        title=title,
        members=members,
        completed=sum(r.status == Status.COMPLETED for r in rows),
        series=series,
        changes=[(day, n) for i, (day, n) in enumerate(series) if i == 0 or n != series[i - 1][1]],
        completion_svg=charts.completion_chart(
            series, members, _("Completions over time: %(title)s", title=label), format_date
        ),
        quiz_bins=quiz_bins,
        quiz_svg=charts.histogram_chart(quiz_bins, _("Best quiz scores: %(title)s", title=label)),
        scenario_bins=scenario_bins,
        scenario_svg=charts.histogram_chart(
            scenario_bins, _("Best scenario scores: %(title)s", title=label)
        ),
    )


def completion_series(cohort: Cohort, assignment: Assignment, rows):
    done = [to_user_timezone(r.completed_at).date() for r in rows if r.completed_at is not None]
    end = today()
    start = min([cohort.starts_on or to_user_timezone(assignment.created_at).date(), *done, end])
    start = max(start, date.fromordinal(end.toordinal() - 365))  # at most a year of days
    return dashboard.completion_series(done, start, end)


def scores(rows, kind: str) -> list[float]:
    found = [dashboard.best_score((r.state or {}).get(kind)) for r in rows]
    return [score for score in found if score is not None]


# Invite codes ------------------------------------------------------------------------------


@bp.route("/<int:cohort_id>/invites", methods=["GET", "POST"])
@require("cohorts.list")
def invites(cohort_id: int):
    cohort = load_cohort(cohort_id)
    form = CohortInviteForm()
    if form.is_submitted():
        authorize("cohorts.change", cohort)
    if form.validate_on_submit():
        invite = create_cohort_invite(cohort, form.days.data, form.max_uses.data, current_user)
        db.session.commit()
        flash(_("Invite code %(code)s created.", code=invite.code), "success")
        return redirect(url_for("cohorts.invites", cohort_id=cohort.id))
    return render_template(
        "cohorts/invites.html",
        cohort=cohort,
        form=form,
        codes=queries.cohort_invites(cohort.id),
        now=utcnow(),
        professions=[str(PROFESSION_LABELS[p]) for p in cohort_professions(cohort)],
    )


def cohort_professions(cohort: Cohort) -> list[Profession]:
    return [p for p in Profession if p.value in (cohort.professions or [])]
