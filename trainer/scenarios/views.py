"""The scenario player: landing, one node per page, debrief, run comparison, the class view.

Views load, authorize (trainer/policy.py), call the engine (trainer/learning/scenarios.py) or
its database services (trainer/learning/scenario_runs.py), commit once and render.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from trainer.extensions import db
from trainer.inputs import ascii_int, db_int
from trainer.learn.views import (
    load_module,
    module_and_progress,
)
from trainer.learning import progress as tracking
from trainer.learning import scenario_imports as imports
from trainer.learning import scenario_runs as runs
from trainer.learning import scenarios as engine
from trainer.learning.content import ModuleContent, content_of, content_of_id
from trainer.models import Assignment, Cohort, Module, Role, ScenarioRun, cohort_trainers
from trainer.models.scenarios import ScenarioPairing
from trainer.policy import authorize, can, require
from trainer.scenarios import bp
from trainer.scenarios.forms import (
    PAIRING_ERRORS,
    RULING_ERRORS,
    ActForm,
    PairingForm,
    StartRunForm,
    UnpairForm,
)

BASE = "/<slug>/scenarios/<scenario_id>"
MAX_COMPARED = 4


# Loading ---------------------------------------------------------------------------------


def load_scenario(slug: str, scenario_id: str, latest: bool = False):
    """(module, content, scenario) on the learner's version, else (or if `latest`) the latest."""
    module, progress = module_and_progress(slug)
    version = progress.version if progress and not latest else module.latest_version
    content = content_of(version)
    scenario = content.scenarios.get(scenario_id)
    if scenario is None:
        abort(404)
    return module, content, scenario


# Built once, with its version: every choice in a run reads it (a get and the version's lazy
# load counted 1.6M instructions under callgrind, this statement 0.9M).
RUN_BY_ID = (
    select(ScenarioRun)
    .where(ScenarioRun.id == bindparam("run_id"))
    .options(joinedload(ScenarioRun.version))
)


def load_run(slug: str, scenario_id: str, run_id: int, action: str):
    """(module, run, content, scenario) for a run of this scenario that the user may see."""
    module = load_module(slug)
    return checked_run(
        module, db.session.scalar(RUN_BY_ID, {"run_id": run_id}), scenario_id, action
    )


def checked_run(module: Module, run: ScenarioRun | None, scenario_id: str, action: str):
    """load_run's checks of a run read with its module: 404 for none or another's scenario."""
    if run is None:
        abort(404)
    authorize(action, run)
    if run.version.module_id != module.id or run.scenario_id != scenario_id:
        abort(404)
    content = content_of(run.version)
    return module, run, content, content.scenarios[scenario_id]


def page(
    template: str,
    content: ModuleContent,
    scenario,
    status: int = 200,
    variables: dict | None = None,
    **context,
):
    """Render with the helpers every scenario page uses; the case file shows the exhibits
    whose `when` holds for `variables` (a run's state, or what a new run would start with)."""
    lang = str(get_locale())
    reference_ids = tuple(ref.id for ref in content.meta.references)
    return render_template(
        f"scenarios/{template}",
        content=content,
        scenario=scenario,
        case_documents=engine.shown_documents(scenario, variables or {}),
        md=lambda text: engine.text_html(text.get(lang), lang, reference_ids),
        references={ref.id: ref for ref in content.meta.references},
        **context,
    ), status


# Learner pages ---------------------------------------------------------------------------


@bp.route(BASE)
@require("learn.browse")
def scenario(slug: str, scenario_id: str):
    module, content, found = load_scenario(slug, scenario_id)
    own = runs.runs_of(current_user, module, scenario_id)
    resumable = next((r for r in reversed(own) if not r.finished), None)
    start = imports.start_state(current_user.id, content.version_id, found)
    return page(
        "landing.html",
        content,
        found,
        variables=resumable.state if resumable else start.variables,
        start=start,
        source=content.scenarios.get(found.imports.scenario_id) if found.imports else None,
        module=module,
        runs=own,
        resumable=resumable,
        form=StartRunForm(),
        class_view=can(current_user, "scenarios.class_view"),
    )


@bp.route(f"{BASE}/runs", methods=["POST"])
@require("learn.browse")
def new_run(slug: str, scenario_id: str):
    module = load_module(slug)
    if not StartRunForm().validate_on_submit():
        abort(400)
    progress = tracking.start(current_user, module)
    found = content_of(progress.version).scenarios.get(scenario_id)
    if found is None:
        abort(404)
    run = runs.start_run(progress, found)
    db.session.commit()
    return redirect(url_for(".play", slug=slug, scenario_id=scenario_id, run_id=run.id), 303)


@bp.route(f"{BASE}/runs/<int:run_id>")
@require("learn.browse")
def play(slug: str, scenario_id: str, run_id: int):
    module, run, content, found = load_run(slug, scenario_id, run_id, "scenarios.play_run")
    if run.finished:
        return redirect(url_for(".debrief", slug=slug, scenario_id=scenario_id, run_id=run.id))
    html, status = play_page(module, run, content, found)
    # Not kept by the browser: "back" asks the server, which shows where the run stands now.
    return html, status, {"Cache-Control": "no-store"}


def play_page(module: Module, run: ScenarioRun, content, found, errors=None, status=200):
    node = engine.node_of(found, run.node_id)
    # Choices and ruling options in the run's own order, frozen with the run.
    choices = runs.shown_choices(run, node) if node.type == "decision" else []
    options = runs.shown_options(run, node) if node.type == "ruling" else {}
    return page(
        "play.html",
        content,
        found,
        status,
        variables=run.state,
        module=module,
        run=run,
        node=node,
        choices=choices,
        options=options,
        form=ActForm(formdata=None, step=run.steps),
        errors={k: RULING_ERRORS[v] for k, v in (errors or {}).items()},
        entered=request.form if errors else {},
    )


@bp.route(f"{BASE}/runs/<int:run_id>", methods=["POST"])
@require("learn.browse")
def act(slug: str, scenario_id: str, run_id: int):
    read = runs.read_choice(slug, current_user.id, run_id)
    content, found, run = checked_choice(read, scenario_id)
    # ActForm's one field read as such (the CSRF token is checked for every POST already):
    # building the form cost 7% of a choice.
    step = ascii_int(request.form.get("step"))
    if step is None:
        abort(400)
    progress = read.progress or tracking.start(current_user, db.session.get(Module, read.module_id))
    node = engine.node_of(found, run.node_id)
    ruling = {f.id: request.form.get(f"f-{f.id}", "") for f in getattr(node, "fields", [])}
    try:
        applied = runs.take_act(run, progress, found, step, request.form.get("choice"), ruling)
    except engine.RulingInvalid as invalid:  # the page again, with the run as the ORM reads it
        module, run, content, found = load_run(slug, scenario_id, run_id, "scenarios.play_run")
        return play_page(module, run, content, found, invalid.errors, 400)
    except engine.ScenarioError:
        abort(400)
    db.session.commit()
    if not applied:
        flash(_l("That answer was already recorded; a trial goes only forward."), "error")
    # The run's page is this URL (url_for(".play") gives the same: the slug and the scenario
    # id matched the stored ones, which need no quoting), with the run's id as url_for writes
    # it; its debrief is below it. url_for cost 2% of a choice.
    here = f"{request.script_root}{request.path.rpartition('/')[0]}/{run.id}"
    return redirect(f"{here}/debrief" if run.finished else here, 303)


def checked_choice(read: runs.ChoiceRead | None, scenario_id: str):
    """(content, scenario, run) of a choice: load_module's and checked_run's checks, in the
    same order (404 module, 403 audience, 404 run, 403 not theirs, 404 other module)."""
    if read is None:
        abort(404)
    authorize("learn.open_module", content_of_id(read.latest_version_id, read.latest_hash).meta)
    run = read.run
    if run is None:
        abort(404)
    authorize("scenarios.play_run", run)
    if read.run_module_id != read.module_id or run.scenario_id != scenario_id:
        abort(404)
    content = content_of_id(run.module_version_id, read.run_hash)
    return content, content.scenarios[scenario_id], run


@bp.route(f"{BASE}/runs/<int:run_id>/debrief")
@require("learn.browse")
def debrief(slug: str, scenario_id: str, run_id: int):
    module, run, content, found = load_run(slug, scenario_id, run_id, "scenarios.view_run")
    if not run.finished and run.user_id == current_user.id:
        return redirect(url_for(".play", slug=slug, scenario_id=scenario_id, run_id=run.id))
    data = engine.debrief(found, run.path, run.node_id if run.finished else None, run.state)
    return page("debrief.html", content, found, module=module, run=run, data=data)


@bp.route(f"{BASE}/compare")
@require("learn.browse")
def compare(slug: str, scenario_id: str):
    module, content, found = load_scenario(slug, scenario_id)
    ids = request.args.getlist("run", type=db_int)[:MAX_COMPARED]
    columns = []
    for run_id in dict.fromkeys(ids):
        _, run, _content, run_scenario = load_run(slug, scenario_id, run_id, "scenarios.view_run")
        ending = run.node_id if run.finished else None
        columns.append((run, engine.debrief(run_scenario, run.path, ending, run.state)))
    columns.sort(key=lambda column: (column[0].started_at, column[0].id))
    return page("compare.html", content, found, module=module, columns=columns)


# Trainer page ----------------------------------------------------------------------------


@bp.route(f"{BASE}/class")
@require("scenarios.class_view")
def class_view(slug: str, scenario_id: str):
    """How a cohort decided, for a debrief session in class."""
    module, content, found = load_scenario(slug, scenario_id, latest=True)
    cohort_id = request.args.get("cohort", type=db_int)
    first_only = request.args.get("runs", "first") != "all"
    cohorts = visible_cohorts()
    if cohort_id is None:  # at once the cohort that takes the module, not a blank page
        cohort_id = default_cohort_id(cohorts, module)
    cohort, counts = None, None
    if cohort_id is not None:
        authorize("scenarios.class_view", cohort_id)
        cohort = db.session.get(Cohort, cohort_id) or abort(404)
        counts = engine.tally(found, runs.cohort_paths(cohort_id, module, scenario_id, first_only))
    return page(
        "class.html",
        content,
        found,
        module=module,
        cohorts=cohorts,
        cohort=cohort,
        counts=counts,
        first_only=first_only,
        pairing=pairing_context(module, content, found, cohort),
    )


def pairing_context(module: Module, content, found, cohort: Cohort | None) -> dict | None:
    """What the pairing form of an importing scenario needs, for the cohort shown."""
    if found.imports is None or cohort is None:
        return None
    source_id = found.imports.scenario_id
    return {
        "source": content.scenarios.get(source_id),
        "members": imports.members(cohort.id),
        "runs": imports.source_runs(cohort.id, module.id, source_id),
        "pairings": imports.pairings(cohort.id, module.id, source_id),
        "form": PairingForm(formdata=None),
        "unpair": UnpairForm(),
    }


@bp.route(f"{BASE}/class/<int:cohort_id>/pairings", methods=["POST"])
@require("scenarios.class_view")
def pair(slug: str, scenario_id: str, cohort_id: int):
    """Pair a member's runs of this (importing) scenario with another member's finished run
    of its source: their new runs take that run's final variables."""
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    authorize("scenarios.pair", cohort)
    module, _content, found = load_scenario(slug, scenario_id, latest=True)
    form = PairingForm()
    if not form.validate_on_submit():
        flash(_l("Choose a member and a finished run to pair."), "error")
        return redirect(class_url(slug, scenario_id, cohort.id))
    try:
        imports.pair(cohort.id, module.id, found, form.importer.data, form.run.data, current_user)
    except imports.PairingError as refused:
        flash(PAIRING_ERRORS[refused.code], "error")
    else:
        db.session.commit()
        flash(_l("Paired: their next new run of this case starts from that run."), "success")
    return redirect(class_url(slug, scenario_id, cohort.id))


@bp.route(f"{BASE}/class/<int:cohort_id>/pairings/<int:pairing_id>/delete", methods=["POST"])
@require("scenarios.class_view")
def unpair(slug: str, scenario_id: str, cohort_id: int, pairing_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    authorize("scenarios.pair", cohort)
    load_scenario(slug, scenario_id, latest=True)
    pairing = db.session.get(ScenarioPairing, pairing_id)
    if pairing is None or pairing.cohort_id != cohort.id:
        abort(404)
    if UnpairForm().validate_on_submit():
        imports.unpair(pairing)
        db.session.commit()
        flash(_l("The pairing was removed; runs already started keep their case file."), "success")
    return redirect(class_url(slug, scenario_id, cohort.id))


def class_url(slug: str, scenario_id: str, cohort_id: int) -> str:
    return url_for(".class_view", slug=slug, scenario_id=scenario_id, cohort=cohort_id)


def default_cohort_id(cohorts: list[Cohort], module: Module) -> int | None:
    """The newest of the trainer's cohorts that is assigned the module, else their newest."""
    if not cohorts:
        return None
    assigned = set(
        db.session.scalars(
            select(Assignment.cohort_id).where(
                Assignment.module_id == module.id,
                Assignment.cohort_id.in_([c.id for c in cohorts]),
            )
        )
    )
    newest_first = sorted(cohorts, key=lambda c: (c.created_at, c.id), reverse=True)
    return next((c.id for c in newest_first if c.id in assigned), newest_first[0].id)


def visible_cohorts() -> list[Cohort]:
    query = select(Cohort).order_by(Cohort.name)
    if current_user.role != Role.ADMIN:
        query = query.join(cohort_trainers).where(cohort_trainers.c.user_id == current_user.id)
    return list(db.session.scalars(query))
