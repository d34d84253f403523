"""Cohort pages: list, create and edit, the dashboard, members and one learner, assignments.
Enrolment from a file, activation links and invite codes: trainer.cohorts.joining.

Views load, authorize through trainer.policy, call the domain (trainer.learning.dashboard,
trainer.learning.enrolment, trainer.cohorts.operations) and render; each commits once.
"""

from datetime import date
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale, get_timezone, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from trainer import accounts, audit
from trainer.cohorts import charts, matrix
from trainer.cohorts.dashboard_cache import body_cache
from trainer.cohorts.forms import (
    STATUS_LABELS,
    SUMMARY_LABELS,
    AssignmentForm,
    CohortForm,
    DashboardFilterForm,
    ExportForm,
    LearnerProfessionForm,
    MailingForm,
)
from trainer.cohorts.my_training import assignment_title
from trainer.cohorts.operations import (
    CohortData,
    CohortError,
    assign_module,
    create_cohort,
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
from trainer.learning.dashboard_stamp import commit_mark, dashboard_stamp, still_holds
from trainer.learning.enrolment import (
    accept_invitation,
)
from trainer.models import Assignment, Cohort, CohortMember, Profession, Status
from trainer.models.types import utcnow
from trainer.models.users import PROFESSION_LABELS, fold_for_search
from trainer.policy import authorize, can, require
from trainer.quiz.scores import assignment_pass_marks
from trainer.submissions import NO_STORE, token_of

bp = Blueprint("cohorts", __name__, template_folder="templates")


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
        if cohort.id is None:  # sent twice, the form finds the cohort it made
            cohort = create_cohort(data, current_user, token_of(form))
        else:
            save_cohort(cohort, data, current_user)
        db.session.commit()
        flash(_("Cohort “%(name)s” saved.", name=cohort.name), "success")
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort), NO_STORE


# Dashboard ---------------------------------------------------------------------------------

PER_PAGE = 50


def read_filters(args) -> DashboardFilterForm:
    """The dashboard's address, read leniently: a value that is not valid is ignored."""
    form = DashboardFilterForm(args)
    form.validate()
    for field in form:
        if field.errors:
            field.data, field.errors = field.default, []
    return form


def dashboard_view(filters: DashboardFilterForm, assignments, per_page: int = PER_PAGE):
    """The SQL-side description of what to show; sorting by a module that is not assigned
    falls back to the name."""
    sortable = {"name", "profession"} | {f"m{a.module_id}" for a in assignments}
    labels = {p.value: str(label) for p, label in PROFESSION_LABELS.items()}
    return queries.DashboardView(
        today=today(),
        assigned=len(assignments),
        profession=filters.profession.data or None,
        status=filters.status.data or None,
        search=fold_for_search((filters.q.data or "").strip()),
        sort=filters.sort.data if filters.sort.data in sortable else "name",
        descending=filters.dir.data == "desc",
        page=filters.page.data or 1,
        per_page=per_page,
        profession_order=tuple(sorted(labels, key=lambda value: labels[value].casefold())),
    )


# The characters url_for leaves unencoded in a query string (werkzeug.urls._urlencode).
QUERY_SAFE = "!$'()*,/:;?@"


def dashboard_links(cohort_id: int):
    """link(**changes): the dashboard's address with some of its parameters changed; any
    change but the page's starts again from the first page. The address is built once and
    the query written as url_for writes it (the page has a dozen such links)."""
    base = url_for("cohorts.dashboard", cohort_id=cohort_id)
    current = {key: value for key, value in request.args.items() if value}

    def link(**changes) -> str:
        args = dict(current)
        if "page" not in changes:
            args.pop("page", None)
        args.update(changes)
        query = [(key, value) for key, value in args.items() if value not in (None, "")]
        return f"{base}?{urlencode(query, safe=QUERY_SAFE)}" if query else base

    return link


def dashboard_charts(cohort: Cohort, assignment: Assignment, members: int) -> dict:
    """The completion chart and the score distribution of one assignment (one query)."""
    completed, instants, best = 0, [], []
    for done, completed_at, quizzes in queries.chart_rows(cohort.id, assignment.module_id):
        completed += done
        if completed_at is not None:
            instants.append(completed_at)
        score = dashboard.best_score(quizzes) if quizzes else None
        if score is not None:
            best.append(score)
    label = localized(assignment_title(assignment))
    series = series_of(cohort, assignment, instants)
    quiz_bins = dashboard.score_histogram(best)
    return {
        "assignment": assignment,
        "completed": completed,
        "members": members,
        "completion_svg": charts.completion_chart(
            series, members, _("Completions over time: %(title)s", title=label), format_date
        ),
        "quiz_bins": quiz_bins,
        "quiz_svg": charts.histogram_chart(
            quiz_bins, _("Best quiz scores: %(title)s", title=label)
        ),
    }


# What a view of the dashboard reads of its cohort (the body, when made, loads the Cohort):
# plain columns cost 0.2M instructions under callgrind, the ORM's Cohort 0.7M.
COHORT_ROW = select(Cohort.id, Cohort.name).where(Cohort.id == bindparam("cohort_id"))


@bp.route("/<int:cohort_id>/", endpoint="dashboard")
@require("cohorts.list")
def dashboard_page(cohort_id: int):
    """The cohort's heading and tabs and the dashboard under them: kept per worker while the
    cohort's stamp and the body's key are the same (trainer/cohorts/dashboard_cache.py)."""
    cohort = db.session.connection().execute(COHORT_ROW, {"cohort_id": cohort_id}).first()
    if cohort is None:
        abort(404)
    authorize("cohorts.view", cohort)
    mark = commit_mark()
    stamp, key = dashboard_stamp(cohort.id), dashboard_key(cohort)
    cache = body_cache()
    body = cache.get(cohort.id, stamp, key)
    if body is None:
        body = dashboard_body(cohort_with_trainers(cohort.id))
        # Kept only if nothing changed while it was made: else it may show a later state.
        settled = mark is not None and commit_mark() == mark
        if settled or still_holds(stamp, cohort.id):
            cache.keep(cohort.id, stamp, key, body)
    return render_template("cohorts/dashboard.html", cohort=cohort, body=body)


def cohort_with_trainers(cohort_id: int) -> Cohort:
    """The Cohort a body is made from, with the trainers its heading names (one query)."""
    query = select(Cohort).where(Cohort.id == cohort_id).options(joinedload(Cohort.trainers))
    return db.session.scalars(query).unique().one_or_none() or abort(404)


def dashboard_key(cohort) -> tuple:
    """What the body is made from besides the data the stamp covers: the page's address
    first (filters, search, sort, page, chart), today, the language, the time zone, whether
    the reader may change the cohort (the heading's buttons) and the application's root."""
    return (
        request.query_string,
        today(),
        str(get_locale()),
        str(get_timezone()),
        can(current_user, "cohorts.change", cohort),
        request.script_root,
    )


def dashboard_body(cohort: Cohort) -> Markup:
    filters = read_filters(request.args)
    assignments = queries.cohort_assignments(cohort.id)
    view = dashboard_view(filters, assignments)
    found = queries.dashboard_page(cohort.id, view)
    counts, learners, matches = found.counts, found.rows, found.matches
    progress = queries.progress_of(cohort.id, [learner.id for learner in learners])
    chosen = next((a for a in assignments if a.id == filters.chart.data), None)
    chosen = chosen or (assignments[0] if assignments else None)
    body = render_template(
        "cohorts/_dashboard_body.html",
        cohort=cohort,
        filters=filters,
        view=view,
        counts=counts,
        summary=SUMMARY_LABELS,
        columns=[(a, assignment_title(a)) for a in assignments],
        rows=dashboard.build_matrix(learners, assignments, progress, view.today),
        matches=matches,
        pages=max(-(-matches // PER_PAGE), 1),
        first=(view.page - 1) * PER_PAGE + 1,
        link=dashboard_links(cohort.id),
        export_form=ExportForm(),
        chart=dashboard_charts(cohort, chosen, counts["members"]) if chosen else None,
        today=view.today,
        # Translated once, not once per row: a thousand lazy strings cost a tenth of a second.
        professions={p: str(label) for p, label in PROFESSION_LABELS.items()},
        matrix_rows=matrix.matrix_rows,
        learner_href=matrix.learner_href(cohort.id),
        # Per column: a failing best quiz score is never shown as the pass mark.
        pass_marks=[assignment_pass_marks(a) for a in assignments],
    )
    return Markup(body)  # noqa: S704  (a rendered template: escaped where it was made)


@bp.route("/<int:cohort_id>/export")
@require("cohorts.list")
def export(cohort_id: int):
    """Every learner the dashboard's filters and search select (all pages), one line per
    learner and assignment; XLSX, or CSV with the separator the trainer's Excel expects."""
    cohort = load_cohort(cohort_id)
    form = ExportForm(request.args)
    return export_file(cohort, form.format.data if form.validate() else "xlsx")


@bp.route("/<int:cohort_id>/export.csv")
@require("cohorts.list")
def export_csv(cohort_id: int):
    """The CSV for Russian Excel (separated by semicolons), at the export's old address."""
    return export_file(load_cohort(cohort_id), "csv-semicolon")


def export_file(cohort: Cohort, kind: str) -> Response:
    assignments = queries.cohort_assignments(cohort.id)
    view = dashboard_view(read_filters(request.args), assignments, per_page=0)
    learners = queries.dashboard_page(cohort.id, view).rows
    rows = dashboard.build_matrix(
        learners, assignments, queries.cohort_progress(cohort.id), today()
    )
    certificates = {key: c.serial for key, c in queries.cohort_certificates(cohort.id).items()}
    table = dashboard.export_table(
        rows,
        assignments,
        [localized(assignment_title(a)) for a in assignments],
        certificates,
        lambda moment: to_user_timezone(moment).date(),
        export_labels(),
    )
    response = export_response(table, kind, f"cohort-{cohort.id}-{today().isoformat()}", cohort)
    audit.record(
        audit.Action.EXPORT_DOWNLOADED, actor=current_user, target=cohort, format=kind,
        learners=len(learners),
    )  # fmt: skip
    db.session.commit()
    return response


def export_response(table, kind: str, name: str, cohort: Cohort) -> Response:
    if kind == "xlsx":
        return Response(
            dashboard.xlsx_bytes(table, cohort.name),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    separator = dashboard.CSV_SEPARATORS[kind.removeprefix("csv-")]
    return Response(
        dashboard.csv_bytes(table, separator),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def export_labels() -> dashboard.ExportLabels:
    return dashboard.ExportLabels(
        headings=[
            _("Name"), _("Email"), _("Profession"), _("Module"), _("Module slug"),
            _("Due date"), _("Status"), _("Percent done"), _("Best quiz score, %"),
            _("Best scenario score, %"), _("Overdue"), _("Completed on"),
            _("Certificate number"),
        ],
        status=lambda status: str(STATUS_LABELS[status]),
        profession=lambda value: str(PROFESSION_LABELS[Profession(value)]),
        yes=_("yes"),
    )  # fmt: skip


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
    item_titles = event_item_titles(events)
    pass_marks = {a.module_id: assignment_pass_marks(a) for a in assignments}
    return render_template(
        "cohorts/learner.html",
        cohort=cohort,
        member=member,
        assigned=list(zip([(a, assignment_title(a)) for a in assignments], row.cells, strict=True)),
        attempts=dashboard.quiz_attempts(events),
        runs=dashboard.scenario_runs(events),
        events=events,
        titles=titles,
        item_titles=item_titles,
        pass_marks=pass_marks,  # a failing score is never shown as the pass mark
        pass_marks_by_slug={a.module.slug: pass_marks[a.module_id] for a in assignments},
        form=ActionForm(),
        profession_form=LearnerProfessionForm(profession=member.user.profession.value),
    )


def event_item_titles(events) -> dict:
    """The title of each lesson, quiz and scenario the events name ("slug/kind/id"), read
    from the version the learner worked in; one query for the versions."""
    versions = queries.versions_by_id({e.module_version_id for e in events})
    titles = {}
    for e in events:
        parts = e.object_id.split("/")
        if len(parts) != 3 or e.object_id in titles or e.module_version_id not in versions:
            continue
        item = item_of(content_of(versions[e.module_version_id]), parts[1], parts[2])
        if item is not None:
            titles[e.object_id] = item.title
    return titles


def item_of(content, kind: str, item_id: str):
    if kind == "lesson":
        return content.lesson(item_id)
    return {"quiz": content.quizzes, "scenario": content.scenarios}.get(kind, {}).get(item_id)


@bp.route("/<int:cohort_id>/learners/<int:user_id>/remove", methods=["POST"])
@require("cohorts.list")
def remove_learner(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id, "cohorts.change")
    member = load_member(cohort, user_id)
    if ActionForm().validate_on_submit():
        pending = member.pending
        if member.removed_at is None:  # removing twice changes nothing, so records nothing
            remove_member(member)
            audit.record(
                audit.Action.MEMBER_REMOVED, actor=current_user, target=member,
                cohort_id=cohort.id, withdrawn=pending,
            )  # fmt: skip
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
        before = accounts.access_of(member.user)
        member.user.profession = Profession(form.profession.data)
        accounts.record_access_changes(member.user, before, current_user)
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
        audit.record(
            audit.Action.INVITATION_ACCEPTED, actor=current_user, target=member, cohort_id=cohort.id
        )
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
        mailing_form=MailingForm(),
    )


# Assignments -------------------------------------------------------------------------------


def assignment_form() -> AssignmentForm:
    """Modules by their title in the reader's language and their slug; versions by number
    and the date they were synced."""
    form = AssignmentForm()
    form.module.choices = [
        (m.id, f"{localized(content_of(m.latest_version).meta.title)} ({m.slug})")
        for m in queries.synced_modules()
    ]
    form.version.choices = [("", _("Follow the latest version"))] + [
        (
            str(v.id),
            _(
                "%(slug)s, version %(number)s of %(date)s",
                slug=v.slug,
                number=v.number,
                date=format_date(v.created_at),
            ),
        )
        for v in queries.module_versions()
    ]
    return form


def assigned_message(outcome) -> str:
    """What assigning did, said plainly: above all what became of the due date."""
    due = outcome.assignment.due_on
    if outcome.created:
        if due is None:
            return _("Module assigned, with no due date.")
        return _("Module assigned, due %(date)s.", date=format_date(due))
    if due is None and outcome.due_before is not None:
        return _("Assignment updated: the due date was removed.")
    if due is None:
        return _("Assignment updated; it still has no due date.")
    if due == outcome.due_before:
        return _("Assignment updated; the due date stays %(date)s.", date=format_date(due))
    return _("Assignment updated: now due %(date)s.", date=format_date(due))


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
            outcome = assign_module(
                cohort, form.module.data, version_id, form.due_on.data, form.clear_due.data
            )
        except CohortError:
            form.version.errors = [_("This version belongs to another module.")]
        else:
            db.session.commit()
            flash(assigned_message(outcome), "success")
            if due_in_past(outcome.assignment.due_on, today()):
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
    return series_of(cohort, assignment, [r.completed_at for r in rows if r.completed_at])


def series_of(cohort: Cohort, assignment: Assignment, instants: list):
    """Completions by the end of each day, from the cohort's start (else the assignment's)
    to today in the reader's time zone; `instants` are the completion times."""
    done = dashboard.local_dates(instants, get_timezone())
    end = today()
    start = min([cohort.starts_on or to_user_timezone(assignment.created_at).date(), *done, end])
    start = max(start, date.fromordinal(end.toordinal() - 365))  # at most a year of days
    return dashboard.completion_series(done, start, end)


def scores(rows, kind: str) -> list[float]:
    found = [dashboard.best_score((r.state or {}).get(kind)) for r in rows]
    return [score for score in found if score is not None]


# Enrolment from a file, activation links and invite codes live in their own module.
from trainer.cohorts import joining  # noqa: E402, F401  (routes attach to bp)
