"""The live class session's state machine (trainer/learning/classroom.py), without HTTP, on the
example module's night call: arrival (narrative) -> decide (separate | leave) -> record
(document | advise-only | ask-alone-again) -> report (ruling: risk, visits) -> an ending."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from tests.conftest import sync_example
from trainer.extensions import db
from trainer.learning import classroom as room
from trainer.learning import progress as learning
from trainer.learning import scenario_runs
from trainer.learning import scenarios as engine
from trainer.models import (
    ClassSession,
    ClassVote,
    Cohort,
    CohortMember,
    LearningEvent,
    Module,
    ModuleVersion,
    Profession,
    Progress,
    Role,
    RunStatus,
    ScenarioRun,
    User,
    Verb,
)
from trainer.models.classroom import Phase, SessionStatus

GUEST = AnonymousUserMixin()


@pytest.fixture
def ctx(app, make_user):
    """An app context with the example module, a trainer and three learners (two officers,
    a judge), all as live objects of the context's session."""
    sync_example(app)
    ids = [
        make_user(role=Role.TRAINER, profession=Profession.OTHER).id,
        make_user(profession=Profession.POLICE).id,
        make_user(profession=Profession.POLICE).id,
        make_user(profession=Profession.JUDGE).id,
    ]
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        version = module.latest_version
        people = [db.session.get(User, i) for i in ids]
        yield version, people


def start(version, trainer, **kw) -> tuple[ClassSession, object]:
    scenario = room.content_of(version).scenarios["call"]
    session = room.start_session(trainer, version, scenario, **kw)
    db.session.commit()
    return session, scenario


def seats(session, people):
    return [room.join(session, person, "ru")[0] for person in people]


def to_decide(session, scenario):
    """From the arrival (a narrative: no vote) to the first decision."""
    room.advance(session, scenario, 0, room.TRAINER)
    assert session.node_id == "decide" and session.phase == Phase.VOTING


def refused(reason, act, *args, **kw):
    with pytest.raises(room.Refused) as caught:
        act(*args, **kw)
    assert caught.value.reason == reason


# Codes -------------------------------------------------------------------------------------


def test_codes_are_six_crockford_characters_and_typos_are_forgiven():
    code = room.new_code()
    assert len(code) == 6 and set(code) <= set(room.ALPHABET)
    assert not set("ILOU") & set(room.ALPHABET)
    assert room.normalize_code(" ab-c 0o1 ") == "ABC001"
    assert room.normalize_code("abc-0o1x") is None  # seven characters
    assert room.normalize_code("abc-o1l") == "ABC011"
    assert room.normalize_code("abcd1") is None
    assert room.normalize_code("ABCDEU") is None  # U is not in the alphabet
    assert room.normalize_code("ABC\x00EF") is None
    assert room.normalize_code(None) is None


def test_a_code_already_taken_is_drawn_again(ctx, monkeypatch):
    version, (trainer, *_) = ctx
    first, _ = start(version, trainer)
    draws = iter([first.code, first.code, "ZZZZZZ"])
    monkeypatch.setattr(room, "new_code", lambda: next(draws))
    second, _ = start(version, trainer)
    assert second.code == "ZZZZZZ"
    assert room.find_session("zzzzzz").id == second.id


# Joining -----------------------------------------------------------------------------------


def test_who_may_join(ctx, make_user):
    version, (trainer, officer, other_officer, judge) = ctx
    cohort = Cohort(name="Тверь")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=officer.id))
    db.session.commit()
    refused("guests-not-allowed", start, version, trainer, cohort=cohort, allow_guests=True)
    cohort_session, _ = start(version, trainer, cohort=cohort)
    assert room.join(cohort_session, officer, "ru")[0].user_id == officer.id
    assert room.join(cohort_session, officer, "en")[0].language == "ru"  # the same seat
    refused("not-in-cohort", room.join, cohort_session, judge, "ru")
    refused("guests-not-allowed", room.join, cohort_session, GUEST, "ru", "Гость")
    open_session, _ = start(version, trainer)
    refused("guests-not-allowed", room.join, open_session, GUEST, "ru", "Гость")
    assert room.join(open_session, judge, "en")[0].profession == Profession.JUDGE
    guests, _ = start(version, trainer, allow_guests=True)
    refused("guest-name", room.join, guests, GUEST, "ru", "   ")
    seat, token = room.join(guests, GUEST, "en", "  Мария   К. ", Profession.SOCIAL_WORKER)
    assert seat.guest_name == "Мария К." and seat.guest_token_hash != token
    assert room.participant_of(guests, GUEST, token).id == seat.id
    assert room.participant_of(guests, GUEST, "not-the-token") is None
    room.end_session(guests)
    refused("closed", room.join, guests, other_officer, "ru")


# Voting ------------------------------------------------------------------------------------


def test_every_refused_vote_is_not_counted(ctx):
    version, (trainer, officer, other_officer, judge) = ctx
    session, scenario = start(version, trainer)
    a, b = seats(session, [officer, other_officer])
    refused("no-vote-here", room.vote, session, scenario, a, 0, choice="separate")
    refused("no-vote-here", room.close_vote, session, scenario, 0)
    refused("no-vote-here", room.reveal, session, scenario, 0)
    to_decide(session, scenario)
    refused("not-a-participant", room.vote, session, scenario, None, 1, choice="separate")
    elsewhere, _ = start(version, trainer)
    stranger = room.join(elsewhere, judge, "ru")[0]
    refused("not-a-participant", room.vote, session, scenario, stranger, 1, choice="separate")
    refused("not-offered", room.vote, session, scenario, a, 1, choice="document")  # not here
    refused("not-offered", room.vote, session, scenario, a, 1, choice="no-such-choice")
    refused("moved-on", room.vote, session, scenario, a, 0, choice="separate")  # a stale page
    room.vote(session, scenario, a, 1, choice="separate")
    room.close_vote(session, scenario, 1)
    refused("vote-closed", room.vote, session, scenario, b, 1, choice="leave")
    refused("vote-closed", room.vote, session, scenario, a, 1, choice="leave")
    tally = room.room_tally(scenario, room.votes_at(session, 1))
    assert tally.voters == 1 and tally.all.choice("decide", "separate") == 1
    assert tally.all.choice("decide", "leave") == 0


def test_a_vote_changes_until_the_vote_closes_and_counts_once(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    [seat] = seats(session, [officer])
    to_decide(session, scenario)
    room.vote(session, scenario, seat, 1, choice="leave")
    room.vote(session, scenario, seat, 1, choice="leave")  # a double tap
    ballot = room.vote(session, scenario, seat, 1, choice="separate")
    db.session.commit()
    assert ballot.revision == 2
    assert db.session.scalar(select(func.count(ClassVote.id))) == 1
    tally = room.room_tally(scenario, room.votes_at(session, 1))
    assert (tally.all.choice("decide", "separate"), tally.all.choice("decide", "leave")) == (1, 0)


def test_votes_are_learning_events_and_leave_progress_alone(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    guests, _ = start(version, trainer, allow_guests=True)
    [seat] = seats(session, [officer])
    guest = room.join(guests, GUEST, "ru", "Гость")[0]
    for live, who in ((session, seat), (guests, guest)):
        to_decide(live, scenario)
        room.vote(live, scenario, who, 1, choice="leave")
    room.vote(session, scenario, seat, 1, choice="separate")
    db.session.commit()
    events = db.session.scalars(select(LearningEvent).order_by(LearningEvent.id)).all()
    assert [(e.user_id, e.verb, e.object_id) for e in events] == [
        (officer.id, Verb.VOTED, "example-module/scenario/call/decide")
    ] * 2
    assert [e.result for e in events] == [
        {"class": session.code, "step": 1, "revision": 1, "choice": "leave"},
        {"class": session.code, "step": 1, "revision": 2, "choice": "separate"},
    ]
    assert db.session.scalar(select(func.count(Progress.id))) == 0


def test_a_ruling_vote_is_checked_like_a_ruling(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    [seat] = seats(session, [officer])
    walk(session, scenario, ["separate", "document"])
    with pytest.raises(engine.RulingInvalid) as caught:
        room.vote(session, scenario, seat, 3, ruling={"risk": "extreme", "visits": "99"})
    assert caught.value.errors == {"risk": "unknown-option", "visits": "out-of-range"}
    ballot = room.vote(session, scenario, seat, 3, ruling={"risk": "high", "visits": "2,0"})
    assert ballot.values == {"risk": "high", "visits": 2.0}


# Moving on ---------------------------------------------------------------------------------


def walk(session, scenario, choices):
    """Past the arrival, then each decision by the trainer's choice."""
    to_decide(session, scenario)
    for choice in choices:
        room.close_vote(session, scenario, session.steps)
        room.advance(session, scenario, session.steps, room.TRAINER, choice=choice)


def test_the_majority_moves_the_room_and_a_tie_leaves_the_choice_to_the_trainer(ctx):
    version, (trainer, *learners) = ctx
    session, scenario = start(version, trainer)
    a, b, c = seats(session, learners)
    to_decide(session, scenario)
    room.vote(session, scenario, a, 1, choice="separate")
    refused("still-voting", room.advance, session, scenario, 1, room.MAJORITY)
    room.vote(session, scenario, b, 1, choice="leave")
    room.reveal(session, scenario, 1)  # closes the vote too
    assert session.phase == Phase.REVEALED
    refused("no-majority", room.advance, session, scenario, 1, room.MAJORITY)
    with pytest.raises(engine.ChoiceNotOffered):
        room.advance(session, scenario, 1, room.TRAINER, choice="document")
    room.advance(session, scenario, 1, room.TRAINER, choice="separate")
    assert (session.node_id, session.steps, session.phase) == ("record", 2, Phase.VOTING)
    refused("moved-on", room.advance, session, scenario, 1, room.TRAINER, choice="leave")
    for seat, choice in ((a, "advise-only"), (b, "document"), (c, "document")):
        room.vote(session, scenario, seat, 2, choice=choice)
    room.close_vote(session, scenario, 2)
    refused("vote-closed", room.close_vote, session, scenario, 2)
    room.advance(session, scenario, 2, room.MAJORITY)
    assert session.node_id == "report"
    assert [(s["node"], s.get("choice"), s.get("by")) for s in session.path] == [
        ("arrival", None, None),
        ("decide", "separate", "trainer"),
        ("record", "document", "majority"),
    ]


def test_the_variables_follow_the_room_s_path(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    assert session.state == {"spoke-alone": False, "evidence": 0}
    walk(session, scenario, ["separate"])
    assert session.state == {"spoke-alone": True, "evidence": 0}
    [seat] = seats(session, [officer])
    room.vote(session, scenario, seat, 2, choice="ask-alone-again")  # offered: spoke alone
    room.close_vote(session, scenario, 2)
    room.advance(session, scenario, 2, room.MAJORITY)
    assert session.state == {"spoke-alone": True, "evidence": 0}
    other, _ = start(version, trainer)
    walk(other, scenario, ["separate", "document"])
    assert other.state == {"spoke-alone": True, "evidence": 1}


def test_an_ending_closes_the_session(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    [seat] = seats(session, [officer])
    walk(session, scenario, ["leave"])
    assert session.node_id == "poor-ending" and session.status == SessionStatus.CLOSED
    assert session.ended_at is not None
    refused("closed", room.vote, session, scenario, seat, 2, choice="separate")
    refused("closed", room.advance, session, scenario, 2, room.TRAINER)
    refused("closed", room.end_session, session)


def test_an_idle_session_closes_when_next_looked_at(ctx):
    version, (trainer, *_rest) = ctx
    session, _scenario = start(version, trainer)
    later = session.last_activity_at + timedelta(minutes=179)
    assert not room.expire_if_idle(session, 180, later)
    assert room.expire_if_idle(session, 180, later + timedelta(minutes=1))
    assert session.status == SessionStatus.CLOSED and session.ended_at is not None
    assert not room.expire_if_idle(session, 180, later + timedelta(days=1))


# Counting and the debrief ------------------------------------------------------------------


def test_counts_by_profession_and_the_ruling_majority(ctx):
    version, (trainer, *learners) = ctx
    session, scenario = start(version, trainer)
    a, b, judge = seats(session, learners)
    walk(session, scenario, ["separate", "document"])
    room.vote(session, scenario, a, 3, ruling={"risk": "high", "visits": "2"})
    room.vote(session, scenario, b, 3, ruling={"risk": "high", "visits": "10"})
    room.vote(session, scenario, judge, 3, ruling={"risk": "low", "visits": "1"})
    tally = room.room_tally(scenario, room.votes_at(session, 3))
    police, judges = tally.by_profession[Profession.POLICE], tally.by_profession[Profession.JUDGE]
    assert (police.option("report", "risk", "high"), judges.option("report", "risk", "low")) == (
        2,
        1,
    )
    assert tally.all.band("report", "visits", 0) == 2  # 1 and 2 days: within 1..3
    assert tally.numbers == {"visits": [1.0, 2.0, 10.0]}
    node = engine.node_of(scenario, "report")
    assert room.majority(node, room.votes_at(session, 3)) == {"risk": "high", "visits": "2.0"}


def test_the_debrief_scores_the_room_s_path_against_the_expert_s(ctx):
    version, (trainer, *learners) = ctx
    session, scenario = start(version, trainer)
    a, b, c = seats(session, learners)
    to_decide(session, scenario)
    for seat, choice in ((a, "separate"), (b, "separate"), (c, "leave")):
        room.vote(session, scenario, seat, 1, choice=choice)
    room.reveal(session, scenario, 1)
    room.advance(session, scenario, 1, room.MAJORITY)
    for seat in (a, b, c):
        room.vote(session, scenario, seat, 2, choice="document")
    room.close_vote(session, scenario, 2)
    # The trainer shows the consequences of a common mistake.
    room.advance(session, scenario, 2, room.TRAINER, choice="advise-only")
    room.vote(session, scenario, a, 3, ruling={"risk": "high", "visits": "2"})
    room.vote(session, scenario, b, 3, ruling={"risk": "high", "visits": "3"})
    room.close_vote(session, scenario, 3)
    room.advance(session, scenario, 3, room.MAJORITY)
    db.session.commit()
    assert session.node_id == "good-ending" and not session.open
    result = room.class_debrief(session, scenario)
    assert result.data.ending.id == "good-ending"
    scores = {d.id: (d.learner, d.expert) for d in result.data.dimensions}
    # separate: safety 2, procedure 1; advise-only: nothing; high: safety 2; 2 days: safety 1.
    # The expert documents the injuries (procedure 2) instead.
    assert scores == {"safety": (5, 5), "procedure": (1, 3)}
    assert result.data.percent == 75
    expert = [s.node.id for s in result.data.expert_steps]
    assert expert == ["arrival", "decide", "record", "report"]
    assert result.moves == [None, "majority", "trainer", "majority"]
    assert result.tallies[0] is None
    assert result.tallies[1].all.choice("decide", "separate") == 2
    assert result.tallies[1].all.choice("decide", "leave") == 1
    assert result.tallies[2].all.choice("record", "document") == 3
    assert result.tallies[3].voters == 2


# Counting toward progress ------------------------------------------------------------------


def play_to_good_ending(session, scenario, voters, missing=None):
    """The room votes its way to the good ending; `missing` skips the ruling vote."""
    to_decide(session, scenario)
    for step, choice in ((1, "separate"), (2, "document")):
        for seat in voters:
            room.vote(session, scenario, seat, step, choice=choice)
        room.close_vote(session, scenario, step)
        room.advance(session, scenario, step, room.MAJORITY)
    for seat in voters:
        if seat is not missing:
            room.vote(session, scenario, seat, 3, ruling={"risk": "high", "visits": "2"})
    room.close_vote(session, scenario, 3)
    room.advance(session, scenario, 3, room.MAJORITY)
    db.session.commit()
    assert session.node_id == "good-ending" and not session.open


def runs_of(user):
    return db.session.scalars(select(ScenarioRun).where(ScenarioRun.user_id == user.id)).all()


def test_a_counting_session_records_the_room_s_run_for_each_full_voter(ctx):
    version, (trainer, officer, other_officer, judge) = ctx
    session, scenario = start(version, trainer, allow_guests=True, counts_progress=True)
    a, b, c = seats(session, [officer, other_officer, judge])
    guest = room.join(session, GUEST, "ru", "Гость")[0]
    play_to_good_ending(session, scenario, [a, b, c, guest], missing=b)
    assert session.counted_at is not None
    [run] = runs_of(officer)
    expert = room.class_debrief(session, scenario).data.percent
    assert (run.status, run.node_id, run.percent, run.number) == (
        RunStatus.FINISHED, "good-ending", expert, 1,
    )  # fmt: skip
    assert [s["node"] for s in run.path] == ["arrival", "decide", "record", "report"]
    assert all("by" not in s for s in run.path)
    assert run.scores == engine.path_scores(run.path)
    assert runs_of(other_officer) == [] and len(runs_of(judge)) == 1
    progress = db.session.scalar(select(Progress).where(Progress.user_id == officer.id))
    assert progress.state["scenarios"] == {"call": {"best": expert}}
    assert progress.module_version_id == version.id
    assert db.session.scalar(select(func.count(Progress.id))) == 2  # officer and judge
    started = db.session.scalar(
        select(LearningEvent).where(
            LearningEvent.user_id == officer.id,
            LearningEvent.verb == Verb.INITIALIZED,
            LearningEvent.object_id == "example-module/scenario/call",
        )
    )
    assert started.result == {"run": 1, "class": session.code}
    outcomes = {c.participant.id: c.outcome for c in room.counting_outcomes(session)}
    assert outcomes == {a.id: "counted", b.id: "missed-vote", c.id: "counted", guest.id: "guest"}
    assert a.run_id == run.id
    # Ending twice records once.
    assert room.count_toward_progress(session, scenario) == []
    refused("closed", room.end_session, session)
    assert len(runs_of(officer)) == 1


def test_a_class_run_is_numbered_after_the_learner_s_own(ctx):
    version, (trainer, officer, *_rest) = ctx
    module = version.module
    progress = learning.start(officer, module)
    scenario = room.content_of(version).scenarios["call"]
    own = scenario_runs.start_run(progress, scenario)
    db.session.commit()
    session, _ = start(version, trainer, counts_progress=True)
    [seat] = seats(session, [officer])
    play_to_good_ending(session, scenario, [seat])
    numbers = sorted((r.number, r.status) for r in runs_of(officer))
    assert numbers == [(own.number, RunStatus.OPEN), (2, RunStatus.FINISHED)]


def test_a_learner_on_another_version_is_not_counted(ctx):
    version, (trainer, officer, *_rest) = ctx
    other = ModuleVersion(
        module_id=version.module_id,
        number=version.number + 1,
        content_hash="0" * 64,
        schema_version=version.schema_version,
        data=version.data,
    )
    db.session.add(other)
    db.session.flush()
    learning.start(officer, version.module, other.id)
    db.session.commit()
    session, scenario = start(version, trainer, counts_progress=True)
    [seat] = seats(session, [officer])
    play_to_good_ending(session, scenario, [seat])
    assert runs_of(officer) == []
    assert [c.outcome for c in room.counting_outcomes(session)] == ["other-version"]


def test_counting_is_the_trainer_s_choice_until_the_end(ctx):
    version, (trainer, officer, *_rest) = ctx
    session, scenario = start(version, trainer)
    [seat] = seats(session, [officer])
    room.set_counting(session, True)
    room.set_counting(session, False)
    play_to_good_ending(session, scenario, [seat])
    assert session.counted_at is None and room.counting_outcomes(session) == []
    assert runs_of(officer) == []
    assert db.session.scalar(select(func.count(Progress.id))) == 0
    refused("closed", room.set_counting, session, True)
    ended, _ = start(version, trainer, counts_progress=True)
    [seat] = seats(ended, [officer])
    walk(ended, scenario, ["separate"])
    room.end_session(ended)  # before an ending: nothing finished, nobody counted
    assert room.count_toward_progress(ended, scenario) == [] and runs_of(officer) == []
