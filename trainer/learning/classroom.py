"""Classroom mode: the live session's state machine, as plain functions over the database.

A trainer starts a session of a scenario; people join by its short code and vote at each
decision (a choice) or ruling (the ruling's fields). The phase of the current step goes
voting -> closed -> revealed; then the trainer moves the room on, by the majority or by a
choice of their own, and the next step starts voting. The room's run (node, variables, path)
is kept in the session row in the shapes of a single-player run, and every move goes through
the scenario engine (trainer/learning/scenarios.py): the variables follow the room's path as
they follow a learner's.

Rules:
- Trainer's acts name the step they were made at: an act on a step the room has left changes
  nothing (a double click, a second tab); the row version stops two at once.
- A majority is the one choice (or, per ruling field, the one option) with the most votes.
  A tie, or no vote at all, is no majority: the trainer chooses. A number field's majority is
  the lower median of the votes: always a value someone gave.
- A vote is recorded as a learning event ("voted") for a signed-in participant; it changes
  nothing in their Progress. Guests have no account: their votes are only the session's.
- Unless the trainer counts the session toward progress: when the room reaches an ending,
  each signed-in participant who voted at every decision (and ruling) of the room's path gets
  a finished run of the scenario with the room's path and score, recorded as a run is (the
  completion rules see it like any finished run), once. A session ended before an ending
  counts for nobody; a participant whose progress is on another version of the module is
  not counted (the run would be of a version they do not play).
- A session with no trainer's act for CLASSROOM_IDLE_MINUTES is closed when next looked at.

Services flush; the view commits.
"""

import hashlib
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from trainer.content.schema import DecisionNode, RulingNode, Scenario
from trainer.extensions import db
from trainer.learning import progress as learning
from trainer.learning import scenarios as engine
from trainer.learning.content import content_of
from trainer.models import (
    ClassParticipant,
    ClassSession,
    ClassVote,
    Cohort,
    CohortMember,
    LearningEvent,
    ModuleVersion,
    Profession,
    Role,
    RunStatus,
    ScenarioRun,
    User,
    Verb,
    cohort_trainers,
)
from trainer.models.classroom import Phase, SessionStatus
from trainer.models.types import utcnow
from trainer.submissions import made_once

# Crockford's base32: no I, L, O or U, so a code read aloud or off a screen is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
CODE_TRIES = 20
GUEST_NAME_MAX = 80
MAJORITY, TRAINER = "majority", "trainer"


class Refused(Exception):
    """An act the session does not accept; `reason` says why (the views word it):
    closed, vote-closed, moved-on, not-offered, no-vote-here, not-a-participant,
    guests-not-allowed, not-in-cohort, guest-name, still-voting, no-majority, ended."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Seat:
    """Who a request is in a session: the participant's id, or None (trainer/policy.py)."""

    session: ClassSession
    participant_id: int | None


# Codes -------------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str | None) -> str | None:
    """The code as stored, from what someone typed (any case, O for 0, I or L for 1, spaces
    and dashes); None if it cannot be a code."""
    if not text:
        return None
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def unused_code() -> str:
    """A code no session has; a collision (one in a billion per session) draws again. Two
    sessions drawing the same code at once: the unique index refuses one, which is retried."""
    for _ in range(CODE_TRIES):
        code = new_code()
        if db.session.scalar(select(ClassSession.id).where(ClassSession.code == code)) is None:
            return code
    raise RuntimeError("no free class session code")  # pragma: no cover - 32**6 codes


# Starting, finding, closing ----------------------------------------------------------------


def start_session(
    trainer: User,
    version: ModuleVersion,
    scenario: Scenario,
    cohort: Cohort | None = None,
    allow_guests: bool = False,
    counts_progress: bool = False,
    submission: str | None = None,
) -> ClassSession:
    """A new session at the scenario's start, with the variables a new run starts with (an
    importing scenario: its declared defaults; the room has no run to import from). Guests
    are for sessions open to anyone with the code: a cohort's session is its members' only.
    Once per submitted form: the same form sent again (token `submission`) finds the session
    it started (trainer.submissions)."""
    if cohort is not None and allow_guests:
        raise Refused("guests-not-allowed")

    def make(token: str | None) -> ClassSession:
        now = utcnow()
        session = ClassSession(
            code=unused_code(),
            module_version_id=version.id,
            scenario_id=scenario.id,
            cohort_id=cohort.id if cohort else None,
            trainer_id=trainer.id,
            allow_guests=allow_guests,
            counts_progress=counts_progress,
            status=SessionStatus.OPEN,
            phase=Phase.VOTING,
            node_id=scenario.start,
            state=engine.start_variables(scenario),
            path=[],
            steps=0,
            started_at=now,
            last_activity_at=now,
            submission_token=token,
        )
        db.session.add(session)
        db.session.flush()
        return session

    return made_once(ClassSession, submission, lambda found: found.trainer_id == trainer.id, make)


def find_session(code: str | None) -> ClassSession | None:
    normalized = normalize_code(code)
    if normalized is None:
        return None
    return db.session.scalar(select(ClassSession).where(ClassSession.code == normalized))


def scenario_of(session: ClassSession) -> Scenario:
    return content_of(session.version).scenarios[session.scenario_id]


def expire_if_idle(session: ClassSession, idle_minutes: int, now: datetime | None = None) -> bool:
    """Close an open session whose trainer has not acted for `idle_minutes`; True if closed."""
    now = now or utcnow()
    if not session.open or now - session.last_activity_at < timedelta(minutes=idle_minutes):
        return False
    session.status = SessionStatus.CLOSED
    session.ended_at = now
    db.session.flush()
    return True


def end_session(session: ClassSession) -> None:
    """The trainer ends the session before an ending: the debrief shows the path so far."""
    if not session.open:
        raise Refused("closed")
    session.status = SessionStatus.CLOSED
    session.ended_at = session.last_activity_at = utcnow()
    db.session.flush()


def set_counting(session: ClassSession, counts: bool) -> None:
    """The trainer counts the session toward the participants' progress, or stops counting
    it: any time before the session ends."""
    if not session.open:
        raise Refused("closed")
    _trainer_acted(session, counts_progress=counts)


# Joining ----------------------------------------------------------------------------------


def refusal_to_join(session: ClassSession, user) -> str | None:
    """Why `user` (signed in or not) may not join, or None: a closed session; a guest where
    guests are not allowed; someone outside the cohort of a cohort's session (its accepted,
    current members, its trainers and the session's trainer may join)."""
    if not session.open:
        return "closed"
    if not user.is_authenticated:
        return None if session.allow_guests and session.cohort_id is None else "guests-not-allowed"
    if session.cohort_id is None or user.id == session.trainer_id:
        return None
    member = select(CohortMember.id).where(
        CohortMember.cohort_id == session.cohort_id,
        CohortMember.user_id == user.id,
        CohortMember.counts(),
    )
    teacher = select(cohort_trainers.c.user_id).where(
        cohort_trainers.c.cohort_id == session.cohort_id, cohort_trainers.c.user_id == user.id
    )
    if user.role == Role.LEARNER:
        return None if db.session.scalar(select(member.exists())) else "not-in-cohort"
    return None if db.session.scalar(select(teacher.exists())) else "not-in-cohort"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join(
    session: ClassSession,
    user,
    language: str,
    guest_name: str | None = None,
    profession: Profession | None = None,
    guest_token: str | None = None,
) -> tuple[ClassParticipant, str | None]:
    """(participant, guest token): a signed-in user joins once (again: their seat); a guest
    gets a new seat and a token for their browser, whose hash identifies them. A guest's
    token may be given (drawn from the join form's one-use token): the same form sent again
    finds the seat it made, with the same token."""
    reason = refusal_to_join(session, user)
    if reason:
        raise Refused(reason)
    if user.is_authenticated:
        seat = participant_of(session, user, None)
        if seat is not None:
            return seat, None
        seat = ClassParticipant(
            session_id=session.id, user_id=user.id, profession=user.profession, language=language
        )
        token = None
    else:
        name = " ".join((guest_name or "").split())
        if not name or len(name) > GUEST_NAME_MAX:
            raise Refused("guest-name")
        token = guest_token or secrets.token_urlsafe(24)
        seat = participant_of(session, user, token)
        if seat is not None:
            return seat, token
        seat = ClassParticipant(
            session_id=session.id,
            guest_name=name,
            guest_token_hash=token_hash(token),
            profession=profession or Profession.OTHER,
            language=language,
        )
    db.session.add(seat)
    db.session.flush()
    return seat, token


def participant_of(session: ClassSession, user, guest_token: str | None) -> ClassParticipant | None:
    """The seat of a signed-in user, or of the guest whose browser holds `guest_token`."""
    if user.is_authenticated:
        condition = ClassParticipant.user_id == user.id
    elif guest_token:
        condition = ClassParticipant.guest_token_hash == token_hash(guest_token)
    else:
        return None
    return db.session.scalar(
        select(ClassParticipant).where(ClassParticipant.session_id == session.id, condition)
    )


# Voting -----------------------------------------------------------------------------------


def _check_step(session: ClassSession, at_step: int) -> None:
    if not session.open:
        raise Refused("closed")
    if session.steps != at_step:
        raise Refused("moved-on")


def vote(
    session: ClassSession,
    scenario: Scenario,
    participant: ClassParticipant | None,
    at_step: int,
    choice: str | None = None,
    ruling: Mapping[str, str] | None = None,
) -> ClassVote:
    """Record or change a participant's vote at the current step. Raises Refused, or the
    engine's RulingInvalid (with every field's error) for a ruling that does not parse."""
    if participant is None or participant.session_id != session.id:
        raise Refused("not-a-participant")
    # The session as committed now, share-locked (PostgreSQL) until the vote is saved: a vote
    # racing the trainer's "close" is either in before it or refused after it. SQLite has one
    # writer at a time: a vote whose reading went stale cannot write, and runs again.
    db.session.refresh(session, with_for_update={"read": True})
    _check_step(session, at_step)
    if session.phase != Phase.VOTING:
        raise Refused("vote-closed")
    node = engine.node_of(scenario, session.node_id)
    if isinstance(node, DecisionNode):
        offered = {c.id for c in engine.offered_choices(node, session.state)}
        if choice not in offered:
            raise Refused("not-offered")
        change = {"choice_id": choice, "values": None}
    elif isinstance(node, RulingNode):
        change = {"choice_id": None, "values": ruling_values(node, ruling or {})}
    else:
        raise Refused("no-vote-here")
    ballot = db.session.scalar(
        select(ClassVote).where(
            ClassVote.session_id == session.id,
            ClassVote.participant_id == participant.id,
            ClassVote.step == at_step,
        )
    )
    if ballot is None:
        ballot = ClassVote(
            session_id=session.id, participant_id=participant.id, step=at_step, node_id=node.id
        )
        db.session.add(ballot)
    elif (ballot.choice_id, ballot.values) == (change["choice_id"], change["values"]):
        return ballot  # the same vote again (a double tap): nothing new
    else:
        ballot.revision += 1
    ballot.choice_id, ballot.values = change["choice_id"], change["values"]
    ballot.updated_at = utcnow()
    db.session.flush()
    _record_vote(session, participant, ballot)
    return ballot


def ruling_values(node: RulingNode, raw: Mapping[str, str]) -> dict:
    """Each field's parsed value, as a single-player ruling parses it; all errors at once."""
    values, errors = {}, {}
    for ruling_field in node.fields:
        value, error = engine.parse_value(ruling_field, raw.get(ruling_field.id))
        if error:
            errors[ruling_field.id] = error
        else:
            values[ruling_field.id] = value
    if errors:
        raise engine.RulingInvalid(errors)
    return values


def _record_vote(session: ClassSession, participant: ClassParticipant, ballot: ClassVote) -> None:
    """A "voted" learning event for a signed-in participant; their Progress is not touched."""
    if participant.user_id is None:
        return
    result = {"class": session.code, "step": ballot.step, "revision": ballot.revision}
    result |= {"choice": ballot.choice_id} if ballot.choice_id else {"values": ballot.values}
    slug = session.version.module.slug
    db.session.add(
        LearningEvent(
            user_id=participant.user_id,
            verb=Verb.VOTED,
            object_id=f"{slug}/scenario/{session.scenario_id}/{ballot.node_id}",
            module_version_id=session.module_version_id,
            result=result,
        )
    )


def _check_vote_step(session: ClassSession, scenario: Scenario, at_step: int) -> None:
    _check_step(session, at_step)
    if not isinstance(engine.node_of(scenario, session.node_id), DecisionNode | RulingNode):
        raise Refused("no-vote-here")


def close_vote(session: ClassSession, scenario: Scenario, at_step: int) -> None:
    _check_vote_step(session, scenario, at_step)
    if session.phase != Phase.VOTING:
        raise Refused("vote-closed")
    _trainer_acted(session, phase=Phase.CLOSED)


def reveal(session: ClassSession, scenario: Scenario, at_step: int) -> None:
    """Show the room the distribution and each choice's feedback (closing the vote if open)."""
    _check_vote_step(session, scenario, at_step)
    if session.phase == Phase.REVEALED:
        raise Refused("vote-closed")
    _trainer_acted(session, phase=Phase.REVEALED)


def _trainer_acted(session: ClassSession, **changes) -> None:
    for name, value in changes.items():
        setattr(session, name, value)
    session.last_activity_at = utcnow()
    db.session.flush()


# Counting ---------------------------------------------------------------------------------


def votes_at(session: ClassSession, step: int) -> list[ClassVote]:
    return list(
        db.session.scalars(
            select(ClassVote)
            .where(ClassVote.session_id == session.id, ClassVote.step == step)
            .order_by(ClassVote.id)
        )
    )


def room_counts(session: ClassSession) -> tuple[int, int]:
    """(votes at the current step, participants), counted in one query."""
    votes = select(func.count(ClassVote.id)).where(
        ClassVote.session_id == session.id, ClassVote.step == session.steps
    )
    seats = select(func.count(ClassParticipant.id)).where(ClassParticipant.session_id == session.id)
    row = db.session.execute(select(votes.scalar_subquery(), seats.scalar_subquery())).one()
    return row[0], row[1]


@dataclass
class RoomTally:
    """The votes at one step: all of them, and by profession (the engine's Tally of the class
    view, over one pseudo-step per vote); number fields' values, smallest first."""

    voters: int
    all: engine.Tally
    by_profession: dict[Profession, engine.Tally] = field(default_factory=dict)
    numbers: dict[str, list[float]] = field(default_factory=dict)


def _as_step(ballot: ClassVote) -> dict:
    if ballot.choice_id is not None:
        return {"node": ballot.node_id, "kind": "choice", "choice": ballot.choice_id}
    return {"node": ballot.node_id, "kind": "ruling", "values": ballot.values or {}}


def room_tally(scenario: Scenario, ballots: list[ClassVote]) -> RoomTally:
    groups: dict[Profession, list[list[dict]]] = {}
    for ballot in ballots:
        groups.setdefault(ballot.participant.profession, []).append([_as_step(ballot)])
    numbers: dict[str, list[float]] = {}
    for ballot in ballots:
        for field_id, value in (ballot.values or {}).items():
            if isinstance(value, int | float):
                numbers.setdefault(field_id, []).append(value)
    return RoomTally(
        voters=len(ballots),
        all=engine.tally(scenario, ([_as_step(b)] for b in ballots)),
        by_profession={p: engine.tally(scenario, paths) for p, paths in groups.items()},
        numbers={k: sorted(v) for k, v in numbers.items()},
    )


def _plurality(counts: Counter):
    """The value with the most votes; None on a tie or with no votes."""
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def majority(node, ballots: list[ClassVote]) -> str | dict[str, str] | None:
    """A decision's winning choice id, or a ruling's values (as a form would send them);
    None when there is no majority (a tie, or nobody voted for some field)."""
    if isinstance(node, DecisionNode):
        return _plurality(Counter(b.choice_id for b in ballots if b.choice_id))
    values = {}
    for ruling_field in node.fields:
        given = [b.values[ruling_field.id] for b in ballots if ruling_field.id in (b.values or {})]
        if ruling_field.kind == "choice":
            winner = _plurality(Counter(given))
        else:
            winner = sorted(given)[(len(given) - 1) // 2] if given else None
        if winner is None:
            return None
        values[ruling_field.id] = str(winner)
    return values


# Moving on --------------------------------------------------------------------------------


def advance(
    session: ClassSession,
    scenario: Scenario,
    at_step: int,
    by: str,
    choice: str | None = None,
    ruling: Mapping[str, str] | None = None,
) -> None:
    """Move the room on from the current node: a narrative goes on; at a decision or a ruling
    (its vote closed) `by` MAJORITY takes the majority, TRAINER the trainer's `choice` or
    `ruling`. The engine applies the scenario's effects and scores, as in a run; raises its
    ChoiceNotOffered or RulingInvalid for a trainer's act that does not fit."""
    _check_step(session, at_step)
    node = engine.node_of(scenario, session.node_id)
    if engine.is_ending(node):
        raise Refused("ended")
    votes_here = isinstance(node, DecisionNode | RulingNode)
    if votes_here and session.phase == Phase.VOTING:
        raise Refused("still-voting")
    if votes_here and by == MAJORITY:
        decided = majority(node, votes_at(session, at_step))
        if decided is None:
            raise Refused("no-majority")
        choice, ruling = (decided, None) if isinstance(decided, str) else (None, decided)
    outcome = engine.act(scenario, node.id, session.state, choice, ruling or {}, session.path)
    step = {**outcome.step, "by": by} if votes_here else outcome.step
    _trainer_acted(
        session,
        path=[*session.path, step],
        state=outcome.variables,
        node_id=outcome.next_node,
        steps=at_step + 1,
        phase=Phase.VOTING,
    )
    if engine.is_ending(engine.node_of(scenario, outcome.next_node)):
        session.status = SessionStatus.CLOSED
        session.ended_at = session.last_activity_at
        db.session.flush()
        count_toward_progress(session, scenario)


# Counting toward progress -----------------------------------------------------------------


def vote_steps(session: ClassSession) -> set[int]:
    """The steps of the room's path where the room voted (decisions and rulings)."""
    return {n for n, step in enumerate(session.path) if step["kind"] != "narrative"}


def steps_voted(session: ClassSession) -> dict[int, set[int]]:
    """participant id -> the steps they voted at."""
    voted: dict[int, set[int]] = {}
    for participant_id, step in db.session.execute(
        select(ClassVote.participant_id, ClassVote.step).where(ClassVote.session_id == session.id)
    ):
        voted.setdefault(participant_id, set()).add(step)
    return voted


def count_toward_progress(session: ClassSession, scenario: Scenario) -> list[ClassParticipant]:
    """Record the room's run for each signed-in participant who voted at every vote step, if
    the trainer counts the session and the room reached an ending; once (counted_at). Returns
    the participants counted now."""
    at_ending = engine.is_ending(engine.node_of(scenario, session.node_id))
    if not session.counts_progress or session.counted_at is not None or not at_ending:
        return []
    session.counted_at = utcnow()
    needed, voted = vote_steps(session), steps_voted(session)
    seats = db.session.scalars(
        select(ClassParticipant)
        .where(ClassParticipant.session_id == session.id, ClassParticipant.user_id.is_not(None))
        .order_by(ClassParticipant.id)
    )
    counted = []
    for seat in seats:
        if needed <= voted.get(seat.id, set()):
            run = record_class_run(session, scenario, seat.user)
            if run is not None:
                seat.run_id = run.id
                counted.append(seat)
    db.session.flush()
    return counted


def record_class_run(session: ClassSession, scenario: Scenario, user: User) -> ScenarioRun | None:
    """A finished run of the session's scenario version for `user` with the room's path, end
    and score, numbered after their own runs; its start event names the session. None when the
    user's progress in the module is on another version."""
    module = session.version.module
    progress = learning.find_progress(user, module) or learning.start(
        user, module, session.module_version_id
    )
    if progress.module_version_id != session.module_version_id:
        return None
    progress = learning.lock(progress)
    last = db.session.scalar(
        select(func.max(ScenarioRun.number)).where(
            ScenarioRun.user_id == user.id,
            ScenarioRun.module_version_id == session.module_version_id,
            ScenarioRun.scenario_id == scenario.id,
        )
    )
    path = [{k: v for k, v in step.items() if k != "by"} for step in session.path]
    scores = engine.path_scores(path)
    expert = engine.expert_path(scenario, engine.run_start(scenario, session.state))
    run = ScenarioRun(
        user_id=user.id,
        module_version_id=session.module_version_id,
        scenario_id=scenario.id,
        number=(last or 0) + 1,
        node_id=session.node_id,
        state=session.state,
        path=path,
        scores=scores,
        steps=len(path),
        status=RunStatus.FINISHED,
        percent=engine.percent(scores, engine.path_scores(expert)),
        started_at=session.started_at,
        finished_at=session.ended_at or utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    object_id = f"{module.slug}/scenario/{scenario.id}"
    learning.record(
        progress, Verb.INITIALIZED, object_id, {"run": run.number, "class": session.code}
    )
    learning.record_scenario_result(progress, scenario.id, run.percent)
    return run


@dataclass
class Counted:
    """Whether a participant's progress counted the session: "counted", "guest", "missed-vote"
    (they did not vote at every decision) or "other-version"."""

    participant: ClassParticipant
    outcome: str


def counting_outcomes(session: ClassSession) -> list[Counted]:
    """For the debrief of a session that counted: each participant and what it did for them."""
    if session.counted_at is None:
        return []
    needed, voted = vote_steps(session), steps_voted(session)
    seats = db.session.scalars(
        select(ClassParticipant)
        .where(ClassParticipant.session_id == session.id)
        .order_by(ClassParticipant.id)
    )
    return [Counted(seat, _outcome(seat, needed, voted.get(seat.id, set()))) for seat in seats]


def _outcome(seat: ClassParticipant, needed: set[int], voted: set[int]) -> str:
    if seat.run_id is not None:
        return "counted"
    if seat.user_id is None:
        return "guest"
    return "missed-vote" if not needed <= voted else "other-version"


# The debrief ------------------------------------------------------------------------------


@dataclass
class ClassDebrief:
    data: engine.DebriefData  # the room's path against the expert path, scores by dimension
    tallies: list[RoomTally | None]  # the votes at each step of the room's path
    moves: list[str | None]  # how the room moved at each step: majority, trainer or None


def class_debrief(session: ClassSession, scenario: Scenario) -> ClassDebrief:
    """The single-player debrief of the room's path, with the vote at each decision."""
    at_ending = engine.is_ending(engine.node_of(scenario, session.node_id))
    ending = session.node_id if at_ending else None
    data = engine.debrief(scenario, session.path, ending, session.state)
    ballots: dict[int, list[ClassVote]] = {}
    for ballot in db.session.scalars(
        select(ClassVote).where(ClassVote.session_id == session.id).order_by(ClassVote.id)
    ):
        ballots.setdefault(ballot.step, []).append(ballot)
    tallies = [
        room_tally(scenario, ballots.get(n, [])) if step["kind"] != "narrative" else None
        for n, step in enumerate(session.path)
    ]
    return ClassDebrief(data, tallies, [step.get("by") for step in session.path])
