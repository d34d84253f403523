from dataclasses import dataclass

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import joinedload

from trainer import plain_statements
from trainer.cohorts.my_training import assigned_training, held_certificate, learners_training
from trainer.extensions import db
from trainer.learn import bp, fragments
from trainer.learn.dates import ReaderDates
from trainer.learning import lessons
from trainer.learning import progress as tracking
from trainer.learning.certificates import HeldCertificate
from trainer.learning.cohort_queries import pinned_version_of
from trainer.learning.completion import next_step
from trainer.learning.content import ModuleContent, content_of, content_of_id
from trainer.models import Certificate, Module, ModuleAsset, ModuleVersion, Progress
from trainer.policy import authorize, can, require

# Where each kind of step is taken; the quiz and scenario players take `quiz_id` / `scenario_id`.
STEP_ENDPOINTS = {"lesson": "learn.lesson", "quiz": "quiz.quiz", "scenario": "scenarios.scenario"}


# Built once (with parameters): the learner's pages run them on every request, and building a
# statement with joins costs about twice what running it does (counted with callgrind).
SYNCED_MODULES = (
    select(Module)
    .where(Module.latest_version_id.is_not(None))
    .options(joinedload(Module.latest_version))
    .order_by(Module.slug)
)
SYNCED_MODULE = SYNCED_MODULES.where(Module.slug == bindparam("slug"))
# With the learner's progress in each, if any.
SYNCED_MODULES_AND_PROGRESS = SYNCED_MODULES.add_columns(Progress).outerjoin(
    Progress, and_(Progress.module_id == Module.id, Progress.user_id == bindparam("user_id"))
)
SYNCED_MODULE_AND_PROGRESS = SYNCED_MODULES_AND_PROGRESS.where(Module.slug == bindparam("slug"))

_modules, _versions = Module.__table__, ModuleVersion.__table__
_progress, _certificates = Progress.__table__, Certificate.__table__
_latest, _shown = _versions.alias("latest"), _versions.alias("shown")
_pinned = pinned_version_of(_modules.c.id).scalar_subquery()
# A module as the learner's pages read it, in plain columns: its latest version (whose
# audience decides who may open it), the learner's progress if any, the version a cohort pins
# if any and the version the learner sees (the progress's, else the pinned one, else the
# latest). The ORM's objects for all this cost more than the page that shows them.
MODULE_ROW = (
    select(
        _modules.c.slug,
        _latest.c.id.label("latest_id"),
        _latest.c.content_hash.label("latest_hash"),
        _pinned.label("pinned_id"),
        _progress.c.status,
        _progress.c.percent,
        _progress.c.state,
        _progress.c.module_version_id.label("progress_version_id"),
        _progress.c.last_position,
        _shown.c.id.label("version_id"),
        _shown.c.content_hash,
    )
    .join(_latest, _latest.c.id == _modules.c.latest_version_id)
    .outerjoin(
        _progress,
        and_(_progress.c.module_id == _modules.c.id, _progress.c.user_id == bindparam("user_id")),
    )
    .join(
        _shown,
        _shown.c.id
        == func.coalesce(_progress.c.module_version_id, _pinned, _modules.c.latest_version_id),
    )
    .where(_modules.c.slug == bindparam("slug"))
)
# The module page's: one row per certificate the learner holds for the module, newest version
# first (a module has few versions: the rows stay few).
MODULE_PAGE = (
    MODULE_ROW.add_columns(
        _certificates.c.id.label("certificate_id"),
        _certificates.c.completed_on,
        _certificates.c.revoked_at,
    )
    .outerjoin(
        _certificates,
        and_(
            _certificates.c.module_id == _modules.c.id,
            _certificates.c.user_id == bindparam("user_id"),
        ),
    )
    .order_by(_certificates.c.module_version_id.desc())
)

# The catalogue's rows, as plain columns: each synced module's slug and latest version, with
# the learner's status and percentage done in it (none before they start it).
CATALOGUE = (
    select(
        _modules.c.slug,
        _latest.c.id,
        _latest.c.content_hash,
        _progress.c.status,
        _progress.c.percent,
    )
    .join(_latest, _latest.c.id == _modules.c.latest_version_id)
    .outerjoin(
        _progress,
        and_(_progress.c.module_id == _modules.c.id, _progress.c.user_id == bindparam("user_id")),
    )
    .order_by(_modules.c.slug)
)


@dataclass(frozen=True)
class ModuleProgress:
    """What the module page shows of the learner's progress."""

    status: str
    percent: int
    state: dict


def load_module(slug: str) -> Module:
    return opened(db.session.scalar(SYNCED_MODULE, {"slug": slug}))


def opened_rows(statement, slug: str) -> list:
    """The rows of MODULE_ROW or MODULE_PAGE for the module and the signed-in learner; 404 for
    no module, 403 outside the module's audience."""
    parameters = {"slug": slug, "user_id": current_user.id}
    rows = plain_statements.rows(
        plain_statements.reading_connection(db.session), statement, parameters
    )
    if not rows:
        abort(404)
    authorize("learn.open_module", content_of_id(rows[0].latest_id, rows[0].latest_hash).meta)
    return rows


def module_and_progress(slug: str) -> tuple[Module, Progress | None]:
    """The module, as load_module, and the learner's progress in it: one query."""
    found = db.session.execute(
        SYNCED_MODULE_AND_PROGRESS, {"slug": slug, "user_id": current_user.id}
    ).first()
    module, progress = found if found else (None, None)
    return opened(module), progress


def opened(module: Module | None) -> Module:
    """404 for no module, 403 outside the module's audience."""
    if module is None:
        abort(404)
    authorize("learn.open_module", content_of(module.latest_version).meta)
    return module


def step_url(content: ModuleContent, slug: str, step) -> str:
    """The page of the learner's next step (a requirement of this version), built once."""
    key = ("step url", slug, step.kind, step.id, request.script_root)
    return fragments.cached(content, key, lambda: part_url(slug, step.kind, step.id))


@bp.app_template_global()
def part_url(slug: str, kind: str, part_id: str) -> str:
    """The page of a lesson, quiz or scenario; the outline entry while its player is absent."""
    endpoint = STEP_ENDPOINTS[kind]
    if endpoint not in current_app.view_functions:
        return url_for("learn.module", slug=slug, _anchor=f"{kind}-{part_id}")
    return url_for(endpoint, slug=slug, **{f"{kind}_id": part_id})


@bp.route("/")
@require("learn.browse")
def catalogue():
    user = current_user._get_current_object()  # one look-up, not one a module
    rows = plain_statements.rows(
        plain_statements.reading_connection(db.session), CATALOGUE, {"user_id": user.id}
    )
    cards = []
    for slug, version_id, content_hash, status, percent in rows:
        content = content_of_id(version_id, content_hash)
        if can(user, "learn.open_module", content.meta):
            cards.append(fragments.catalogue_card(content, slug, status, percent or 0))
    return render_template("learn/catalogue.html", cards=cards)


@bp.route("/my")
@require("learn.browse")
def my_training():
    user_id = current_user.id
    rows = learners_training(user_id)
    dates = ReaderDates()
    cards = []
    for row in rows:
        content = content_of_id(row.version_id, row.content_hash)
        step = next_step(content.meta, row.state)
        url = step and step_url(content, row.slug, step)
        cards.append(fragments.training_card(content, row, url, held_certificate(row), dates))
    # Cohort assignments, shown first.
    assigned = [fragments.assigned_card(a, dates) for a in assigned_training(user_id, rows, dates)]
    return render_template("learn/my_training.html", cards=cards, assigned=assigned)


@bp.route("/<slug>/")
@require("learn.browse")
def module(slug: str):
    rows = opened_rows(MODULE_PAGE, slug)
    first = rows[0]
    content = content_of_id(first.version_id, first.content_hash)
    progress = None
    if first.status is not None:
        progress = ModuleProgress(first.status, first.percent, first.state)
    state = progress.state if progress else {}
    step = next_step(content.meta, state)
    starting = first.pinned_id or first.latest_id
    return fragments.page(
        "learn/module.html",
        slug=slug,
        content=content,
        progress=progress,
        state=state,
        continue_url=step_url(content, slug, step) if step else None,
        newer_version=progress is not None and first.progress_version_id != starting,
        held=[
            HeldCertificate(row.certificate_id, row.completed_on, row.revoked_at)
            for row in rows
            if row.certificate_id is not None
        ],
    )


@bp.route("/<slug>/restart", methods=["POST"])
@require("learn.browse")
def restart(slug: str):
    _module, progress = module_and_progress(slug)
    if progress is not None:
        tracking.restart(progress)
        db.session.commit()
    return redirect(url_for("learn.module", slug=slug))


@bp.route("/<slug>/lessons/<lesson_id>")
@require("learn.browse")
def lesson(slug: str, lesson_id: str):
    [row] = opened_rows(MODULE_ROW, slug)
    content = content_of_id(row.version_id, row.content_hash)
    entry = content.lesson(lesson_id)
    if entry is None:
        abort(404)
    # With a content warning, the warning comes first; "Continue to the lesson" serves the text.
    serve_text = lessons.text_first(entry, request.args.get("show") == "text")
    state = row.state
    if row.status is None or (serve_text and not view_recorded(row, lesson_id)):
        content, entry, state = record_lesson_view(slug, lesson_id, serve_text)
    page = fragments.lesson_page(
        content,
        slug,
        lesson_id,
        text=serve_text,
        both=request.args.get("view") == "both",
        done=lesson_id in state.get("lessons", []),
    )
    return fragments.page("learn/lesson.html", lesson=entry, page=page)


def view_recorded(row, lesson_id: str) -> bool:
    """Whether recording this view of the lesson's text would change nothing: the learner's
    place is this lesson already and its view is recorded (progress.view_lesson's two writes).
    Reading a lesson again then writes nothing."""
    viewed = row.state.get("viewed", [])
    return row.last_position == f"lesson:{lesson_id}" and lesson_id in viewed


def record_lesson_view(slug: str, lesson_id: str, serve_text: bool):
    """The learner's progress, started if need be, with the view of the lesson's text recorded
    when it is served; (content, lesson, state) of the version the progress is on."""
    module, progress = module_and_progress(slug)
    progress = progress or tracking.start(current_user, module)
    content = content_of(progress.version)
    entry = content.lesson(lesson_id)
    if entry is None:  # the version changed since the page's read (a restart meanwhile)
        abort(404)
    if serve_text:
        lessons.show_text(progress, lesson_id)
    db.session.commit()
    return content, entry, progress.state


@bp.route("/<slug>/lessons/<lesson_id>/done", methods=["POST"])
@require("learn.browse")
def lesson_done(slug: str, lesson_id: str):
    module = load_module(slug)
    progress = tracking.start(current_user, module)
    content = content_of(progress.version)
    if content.lesson(lesson_id) is None:
        abort(404)
    try:
        lessons.mark_done(progress, lesson_id)
    except lessons.LessonNotShown as refused:
        db.session.commit()  # the progress row, if this request made it
        flash(refused.message, "error")
        return redirect(url_for("learn.lesson", slug=slug, lesson_id=lesson_id))
    db.session.commit()
    _, following = content.neighbours(lesson_id)
    if following is not None:
        return redirect(url_for("learn.lesson", slug=slug, lesson_id=following.id))
    return redirect(url_for("learn.module", slug=slug))


@bp.route("/<slug>/lessons/assets/<sha256>.<ext>")
@require("learn.browse")
def asset(slug: str, sha256: str, ext: str):
    module = load_module(slug)  # the lessons' audience rule: 403 outside it
    found = db.session.get(ModuleAsset, sha256)
    if found is None or not module_uses_asset(module, sha256):
        abort(404)
    response = Response(found.data, mimetype=found.mime)
    # Behind sign-in: the browser may keep it (named by content hash), no shared cache may.
    response.cache_control.private = True
    response.cache_control.max_age = 31536000
    response.cache_control.immutable = True
    return response


def module_uses_asset(module: Module, sha256: str) -> bool:
    """An asset is served under a module only if a lesson of one of its versions shows it
    (otherwise any module's slug would open another audience's images)."""
    marker = f"assets/{sha256}."
    versions = db.session.scalars(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    return any(
        marker in html
        for version in versions
        for languages in content_of(version).lesson_html.values()
        for html in languages.values()
    )
