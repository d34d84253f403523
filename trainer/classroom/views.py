"""Classroom mode pages: start a live session, the trainer's controls, the projector, the
participant's phone page, the status poll, the debrief and the list of sessions.

Views load the session by its code, authorize (trainer/policy.py), call the state machine
(trainer/learning/classroom.py), commit once and redirect or render. Participant and
projector pages refresh themselves: with JavaScript (static/classroom.js) by polling the
status endpoint and reloading when the trial moves; without it, by a meta refresh, left out
where a ruling form is open (a refresh would throw away what was typed).
"""

import base64
import hmac
import json
from functools import lru_cache

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from trainer.classroom import bp
from trainer.classroom.forms import (
    REFUSALS,
    AdvanceForm,
    CountingForm,
    JoinForm,
    StartForm,
    StepForm,
)
from trainer.extensions import db, limiter, login_manager
from trainer.forms import ActionForm
from trainer.inputs import db_int
from trainer.learn.views import load_module
from trainer.learning import classroom as room
from trainer.learning import scenarios as engine
from trainer.learning.content import content_of
from trainer.models import (
    Assignment,
    ClassParticipant,
    ClassSession,
    Cohort,
    ModuleVersion,
    Profession,
    Role,
    cohort_trainers,
)
from trainer.models.classroom import Phase
from trainer.policy import authorize, can, require
from trainer.scenarios.forms import RULING_ERRORS
from trainer.submissions import NO_STORE, token_of

SEATS = "class_seats"  # in the signed session cookie: {session id: participant id}
GUESTS = "class_guests"  # {session id: a guest's token}
QR_SIZE = 240
# Typing codes and joining, per network address: a room behind one router joins well within
# it; guessing codes or making guest seats by the thousand does not. Polling is not limited.
JOIN_LIMIT = "120 per minute"


# Loading -------------------------------------------------------------------------------------


def load(code: str) -> ClassSession:
    """The session with this code (typed in any case), closed first if it has been idle."""
    live = room.find_session(code)
    if live is None:
        abort(404)
    if room.expire_if_idle(live, current_app.config["CLASSROOM_IDLE_MINUTES"]):
        db.session.commit()
    return live


def remembered(live: ClassSession) -> int | None:
    """The participant id this browser joined the session as (no query)."""
    return cookie.get(SEATS, {}).get(str(live.id))


def remember(live: ClassSession, seat: ClassParticipant, token: str | None) -> None:
    cookie[SEATS] = {**cookie.get(SEATS, {}), str(live.id): seat.id}
    if token:
        cookie[GUESTS] = {**cookie.get(GUESTS, {}), str(live.id): token}


def participant(live: ClassSession) -> ClassParticipant | None:
    """The request's seat: the signed-in user's, or the guest's whose token the cookie holds."""
    token = cookie.get(GUESTS, {}).get(str(live.id))
    seat = room.participant_of(live, current_user, token)
    if seat is not None and remembered(live) != seat.id:
        remember(live, seat, None)
    return seat


def seat_of(live: ClassSession, seat: ClassParticipant | None) -> room.Seat:
    return room.Seat(live, seat.id if seat else None)


def signed_in_trainer(live: ClassSession):
    """Sign-in first, then the session's trainer alone (policy: classroom.control)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    authorize("classroom.control", live)
    return None


# Rendering -----------------------------------------------------------------------------------


def keyed(message: str) -> bytes:
    """The message signed with the app's secret key (HMAC-SHA256)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, message.encode(), "sha256").digest()


def order_keys(live: ClassSession, node_id: str, part: str = "") -> list[bytes]:
    """One key per session and node: the whole room (and the projector) sees one order."""
    return [keyed(f"class-order:{live.id}:{node_id}:{part}")]


def guest_token_for(live: ClassSession, submission: str) -> str:
    """A guest's token, drawn from the join form's one-use token: the same form sent twice
    (a double tap) finds the seat it made and gives the browser the same token."""
    return base64.urlsafe_b64encode(keyed(f"class-guest:{live.id}:{submission}")[:24]).decode()


def node_context(live: ClassSession, scenario) -> dict:
    node = engine.node_of(scenario, live.node_id)
    choices, options = [], {}
    if node.type == "decision":
        choices = engine.shown_choices(node, live.state, order_keys(live, node.id))
    elif node.type == "ruling":
        options = engine.shown_options(node, lambda field_id: order_keys(live, node.id, field_id))
    return {"node": node, "choices": choices, "options": options}


def page(template: str, live: ClassSession, scenario, status: int = 200, **context):
    """Render with what every classroom page uses: the content helpers of the scenario pages
    (markdown in the page's language or a given one, references, the case file)."""
    content = content_of(live.version)
    lang = str(get_locale())
    reference_ids = tuple(ref.id for ref in content.meta.references)
    html = render_template(
        f"classroom/{template}",
        live=live,
        content=content,
        scenario=scenario,
        case_documents=engine.shown_documents(scenario, live.state),
        md=lambda text, in_lang=None: engine.text_html(
            text.get(in_lang or lang), in_lang or lang, reference_ids
        ),
        references={ref.id: ref for ref in content.meta.references},
        **context,
    )
    return html, status, {"Cache-Control": "no-store"}


@lru_cache(maxsize=64)
def qr_data_uri(url: str) -> str:
    """The join link as a QR code (the certificates' widget), inlined as an SVG image; drawn
    once per link (the projector reloads as votes arrive)."""
    widget = QrCodeWidget(url, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    scale = [QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0]
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=scale)
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def join_url(live: ClassSession) -> str:
    return url_for(".participant_page", code=live.code, _external=True)


# Starting and listing ------------------------------------------------------------------------


def taught_cohorts() -> list[Cohort]:
    query = select(Cohort).order_by(Cohort.name)
    if current_user.role != Role.ADMIN:
        query = query.join(cohort_trainers).where(cohort_trainers.c.user_id == current_user.id)
    return list(db.session.scalars(query))


@bp.route("/class/new", methods=["GET", "POST"])
@require("classroom.list")
def start():
    """Start a live session of a scenario (?module=<slug>&scenario=<id>[&cohort=<id>])."""
    module = load_module(request.args.get("module", ""))
    version = module.latest_version
    scenario = content_of(version).scenarios.get(request.args.get("scenario", ""))
    if scenario is None:
        abort(404)
    cohorts = taught_cohorts()
    form = StartForm(cohort=request.args.get("cohort", 0, type=db_int))
    form.cohort.choices = [SelectChoice(0, _l("Anyone with the code"))] + [
        SelectChoice(c.id, c.name) for c in cohorts
    ]
    if form.validate_on_submit():
        cohort = db.session.get(Cohort, form.cohort.data) if form.cohort.data else None
        authorize("classroom.start", cohort)
        if cohort is not None and form.allow_guests.data:
            form.allow_guests.errors = [_l("Guests may join only a session open to anyone.")]
        else:
            version = cohort_version(module, cohort, scenario.id)
            live = room.start_session(
                current_user,
                version,
                content_of(version).scenarios[scenario.id],
                cohort,
                bool(form.allow_guests.data),
                bool(form.counts_progress.data),
                token_of(form),  # sent twice, the form finds the session it started
            )
            db.session.commit()
            return redirect(url_for(".control", code=live.code), 303)
    status = 400 if form.errors else 200
    html = render_template("classroom/start.html", form=form, module=module, scenario=scenario)
    return html, status, NO_STORE


def cohort_version(module, cohort: Cohort | None, scenario_id: str) -> ModuleVersion:
    """The version the cohort's assignment pins the module to (what its members play), if it
    has the scenario; else the latest."""
    if cohort is not None:
        pinned = db.session.scalar(
            select(Assignment.module_version_id).where(
                Assignment.cohort_id == cohort.id, Assignment.module_id == module.id
            )
        )
        version = db.session.get(ModuleVersion, pinned) if pinned else None
        if version is not None and scenario_id in content_of(version).scenarios:
            return version
    return module.latest_version


@bp.route("/class/sessions")
@require("classroom.list")
def sessions():
    """The trainer's sessions and those of the cohorts they run (admins: all), newest first;
    `?cohort=<id>` shows one cohort's."""
    query = (
        select(ClassSession)
        .options(joinedload(ClassSession.version), joinedload(ClassSession.cohort))
        .order_by(ClassSession.started_at.desc(), ClassSession.id.desc())
    )  # the version and cohort of each row in the same query, however many cohorts
    cohort_id = request.args.get("cohort", type=db_int)
    if current_user.role != Role.ADMIN:
        taught = select(cohort_trainers.c.cohort_id).where(
            cohort_trainers.c.user_id == current_user.id
        )
        query = query.where(
            or_(ClassSession.trainer_id == current_user.id, ClassSession.cohort_id.in_(taught))
        )
    if cohort_id is not None:
        query = query.where(ClassSession.cohort_id == cohort_id)
    found = list(db.session.scalars(query.limit(200)))
    titles = {s.id: content_of(s.version).scenarios[s.scenario_id].title for s in found}
    return render_template("classroom/sessions.html", found=found, titles=titles)


# The participant's phone -----------------------------------------------------------------------


@bp.route("/class", methods=["GET"])
@limiter.shared_limit(JOIN_LIMIT, scope="class-join")
def enter():
    """Join by typing the code (?code=...); the QR code leads to /class/<code> directly."""
    typed = request.args.get("code")
    if typed is not None:
        code = room.normalize_code(typed)
        if code is not None:
            return redirect(url_for(".participant_page", code=code))
        flash(_l("A session code has six letters and digits, as shown on the screen."), "error")
    return render_template("classroom/enter.html", typed=typed or "")


@bp.route("/class/<code>")
def participant_page(code: str):
    live = load(code)
    seat = participant(live)
    if seat is None:
        return join_page(live)
    return seat_page(live, seat)


def join_page(live: ClassSession, form: JoinForm | None = None, status: int = 200):
    if not can(current_user, "classroom.join", live):
        reason = room.refusal_to_join(live, current_user)
        if reason == "guests-not-allowed":
            return login_manager.unauthorized()
        if reason != "closed":
            abort(403)
    scenario = room.scenario_of(live)
    return page("join.html", live, scenario, status, form=form or JoinForm(formdata=None))


def seat_page(live: ClassSession, seat: ClassParticipant, errors=None, status: int = 200):
    scenario = room.scenario_of(live)
    context = node_context(live, scenario)
    ballot = next((b for b in room.votes_at(live, live.steps) if b.participant_id == seat.id), None)
    ruling_open = live.open and live.phase == Phase.VOTING and context["node"].type == "ruling"
    revealed = live.open and live.phase == Phase.REVEALED
    tally = room.room_tally(scenario, room.votes_at(live, live.steps)) if revealed else None
    entered = request.form if errors else own_values(ballot)
    return page(
        "participant.html",
        live,
        scenario,
        status,
        seat=seat,
        ballot=ballot,
        tally=tally,
        form=StepForm(formdata=None, step=live.steps),
        errors={k: RULING_ERRORS[v] for k, v in (errors or {}).items()},
        entered=entered,
        meta_refresh=live.open and not ruling_open,
        **context,
    )


def own_values(ballot) -> dict:
    """The ruling form pre-filled with the participant's vote, to change it."""
    values = (ballot.values or {}) if ballot else {}
    return {f"f-{k}": format_value(v) for k, v in values.items()}


def format_value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@bp.route("/class/<code>/join", methods=["POST"])
@limiter.shared_limit(JOIN_LIMIT, scope="class-join")
def join(code: str):
    live = load(code)
    form = JoinForm()
    if not can(current_user, "classroom.join", live):
        return join_page(live)
    if not form.validate_on_submit():
        return join_page(live, form, 400)
    try:
        seat, token = room.join(
            live,
            current_user,
            str(get_locale()),
            form.name.data,
            Profession(form.profession.data),
            guest_token_for(live, token_of(form)),  # sent twice, the form finds its seat
        )
    except room.Refused as refused:
        form.name.errors = [REFUSALS[refused.reason]]
        return join_page(live, form, 400)
    db.session.commit()
    remember(live, seat, token)
    return redirect(url_for(".participant_page", code=live.code), 303)


@bp.route("/class/<code>/vote", methods=["POST"])
def vote(code: str):
    live = load(code)
    seat = participant(live)
    authorize("classroom.vote", seat_of(live, seat))
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    scenario = room.scenario_of(live)
    node = engine.node_of(scenario, live.node_id)
    ruling = {f.id: request.form.get(f"f-{f.id}", "") for f in getattr(node, "fields", [])}
    try:
        room.vote(live, scenario, seat, form.step.data, request.form.get("choice"), ruling)
    except engine.RulingInvalid as invalid:
        return seat_page(live, seat, invalid.errors, 400)
    except room.Refused as refused:
        flash(REFUSALS[refused.reason], "error")
    else:
        db.session.commit()  # the page says the vote is counted, and which it is
    return redirect(url_for(".participant_page", code=live.code), 303)


@bp.route("/class/<code>/status.json")
def status(code: str):
    """Where the trial stands, for polling: for a participant one query (the session by its
    unique code), no template. The ETag is the row version: an unchanged session answers 304.
    The session's trainer (their controls and projector) also gets "room": the votes at the
    current step and the participants ("2/3"), to see them arrive: one more query, for one
    person."""
    live = load(code)
    if not can(current_user, "classroom.follow", room.Seat(live, remembered(live))):
        abort(403)
    body = {
        "status": live.status.value,
        "phase": live.phase.value,
        "node": live.node_id,
        "step": live.steps,
        "version": live.row_version,
    }
    tag = str(live.row_version)
    if can(current_user, "classroom.control", live):
        body["room"] = "{}/{}".format(*room.room_counts(live))
        tag += f"-{body['room']}"
    response = current_app.response_class(json.dumps(body), mimetype="application/json")
    response.set_etag(tag)
    response.cache_control.no_cache = True
    response.cache_control.private = True
    response.cache_control.max_age = 0
    return response.make_conditional(request)


# The trainer's controls and the projector ------------------------------------------------------


@bp.route("/class/<code>/control")
def control(code: str):
    live = load(code)
    return signed_in_trainer(live) or control_page(live)


def control_page(live: ClassSession, errors=None, status: int = 200):
    scenario = room.scenario_of(live)
    context = node_context(live, scenario)
    ballots = room.votes_at(live, live.steps)
    node = context["node"]
    votes_here = node.type in ("decision", "ruling")
    seats = db.session.scalars(
        select(ClassParticipant)
        .where(ClassParticipant.session_id == live.id)
        .order_by(ClassParticipant.id)
    ).all()
    return page(
        "control.html",
        live,
        scenario,
        status,
        seats=seats,
        tally=room.room_tally(scenario, ballots),
        majority=room.majority(node, ballots) if votes_here else None,
        form=StepForm(formdata=None, step=live.steps),
        end_form=ActionForm(),
        counting_form=CountingForm(formdata=None, counts="0" if live.counts_progress else "1"),
        errors={k: RULING_ERRORS[v] for k, v in (errors or {}).items()},
        entered=request.form if errors else {},
        join_url=join_url(live),
        **context,
    )


def trainer_act(code: str, form_class, act, then: str = ".control"):
    """Run a trainer's act, `act(live, form)`, on the session: refusals are flashed, an
    invalid ruling shows the controls again with its errors, the page shows the result."""
    live = load(code)
    denied = signed_in_trainer(live)
    if denied:
        return denied
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    try:
        act(live, form)
    except engine.RulingInvalid as invalid:
        return control_page(live, invalid.errors, 400)
    except room.Refused as refused:
        flash(REFUSALS[refused.reason], "error")
    except engine.ScenarioError:
        flash(REFUSALS["not-offered"], "error")
    else:
        db.session.commit()
    return redirect(url_for(then, code=live.code), 303)


def at_step(act):
    """An act of the engine on the step the trainer's page showed."""
    return lambda live, form: act(live, room.scenario_of(live), form.step.data)


@bp.route("/class/<code>/close", methods=["POST"])
def close_vote(code: str):
    return trainer_act(code, StepForm, at_step(room.close_vote))


@bp.route("/class/<code>/reveal", methods=["POST"])
def reveal(code: str):
    return trainer_act(code, StepForm, at_step(room.reveal))


@bp.route("/class/<code>/advance", methods=["POST"])
def advance(code: str):
    return trainer_act(code, AdvanceForm, move_on)


def move_on(live: ClassSession, form: AdvanceForm) -> None:
    """By the majority, or by the trainer's choice or ruling (the fields `f-<id>`)."""
    scenario = room.scenario_of(live)
    node = engine.node_of(scenario, live.node_id)
    ruling = {f.id: request.form.get(f"f-{f.id}", "") for f in getattr(node, "fields", [])}
    room.advance(live, scenario, form.step.data, form.by.data, request.form.get("choice"), ruling)


@bp.route("/class/<code>/end", methods=["POST"])
def end(code: str):
    return trainer_act(code, ActionForm, lambda live, form: room.end_session(live), ".debrief")


@bp.route("/class/<code>/counting", methods=["POST"])
def counting(code: str):
    """Count the session toward the participants' progress, or stop counting it."""
    return trainer_act(
        code, CountingForm, lambda live, form: room.set_counting(live, form.counts.data == "1")
    )


@bp.route("/class/<code>/projector")
def projector(code: str):
    """The room's screen: the code and QR code, the node, the choices; the distribution once
    revealed. `?both=1` shows the Russian and English texts side by side."""
    live = load(code)
    denied = signed_in_trainer(live)
    if denied:
        return denied
    scenario = room.scenario_of(live)
    revealed = live.open and live.phase == Phase.REVEALED
    voters, seats = room.room_counts(live)
    return page(
        "projector.html",
        live,
        scenario,
        tally=room.room_tally(scenario, room.votes_at(live, live.steps)) if revealed else None,
        voters=voters,
        room_count=f"{voters}/{seats}",
        both=request.args.get("both") == "1",
        join_url=join_url(live),
        qr=qr_data_uri(join_url(live)),
        meta_refresh=live.open,
        **node_context(live, scenario),
    )


# The debrief ---------------------------------------------------------------------------------


@bp.route("/class/<code>/debrief")
def debrief(code: str):
    """After the session: the room's path against the expert path, the vote at each step."""
    live = load(code)
    seat = participant(live) if current_user.is_authenticated else None
    seat_id = seat.id if seat else remembered(live)
    if not current_user.is_authenticated and seat_id is None:
        return login_manager.unauthorized()
    authorize("classroom.debrief", room.Seat(live, seat_id))
    if live.open:
        flash(_l("The debrief opens when the trial ends."), "info")
        own = current_user.is_authenticated and live.trainer_id == current_user.id
        target = ".control" if own else ".participant_page"
        return redirect(url_for(target, code=live.code))
    scenario = room.scenario_of(live)
    outcomes = room.counting_outcomes(live)
    if seat_id is not None and not can(current_user, "classroom.control", live):
        outcomes = [o for o in outcomes if o.participant.id == seat_id]  # a participant: their own
    return page(
        "debrief.html",
        live,
        scenario,
        result=room.class_debrief(live, scenario),
        outcomes=outcomes,
        own_outcome=next((o for o in outcomes if o.participant.id == seat_id), None),
    )
