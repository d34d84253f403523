"""Every route, every role: who gets the page, who is refused, who is sent to sign in."""

import pytest
from sqlalchemy import select, update

from tests.conftest import sign_in, sync_example
from tests.quiz_helpers import policy_attempts
from tests.web.certificates_support import complete_example
from tests.web.test_classroom import policy_class_session
from tests.web.test_cohorts import make_cohort, policy_cohort
from trainer.extensions import db
from trainer.learning.enrolment import enrol_users
from trainer.models import CohortMember, ModuleAsset, Role, User
from trainer.models.types import utcnow

ANON, LEARNER, TRAINER, ADMIN = "anonymous", "learner", "trainer", "admin"
OK, LOGIN, FORBIDDEN = 200, 302, 403
SIGNED_IN = {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK}
OWN_ATTEMPT = {ANON: LOGIN, LEARNER: OK, TRAINER: FORBIDDEN, ADMIN: FORBIDDEN}
TRAINERS = {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: OK, ADMIN: OK}
# A cohort run by another trainer: the matrix's trainer is refused, admins are not.
NOT_THEIR_COHORT = {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK}
# A live class session's controls: its trainer's alone, not even an admin's.
NOT_THE_SESSION_TRAINER = {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: FORBIDDEN}

# (method, path) -> expected status per role. "{other}" is another user's id.
MATRIX = {
    ("GET", "/cohorts/"): TRAINERS,
    ("GET", "/cohorts/new"): TRAINERS,
    ("POST", "/cohorts/new"): TRAINERS,
    ("GET", "/cohorts/{cohort}/"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/edit"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/edit"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/export.csv"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/export"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/members"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/learners/{other}"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/learners/{other}/remove"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/enrol"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/enrol"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/enrol/confirm"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/assignments"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/assignments"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/assignments/{assignment}"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/assignments/{assignment}/remove"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/invites"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/invites"): NOT_THEIR_COHORT,
    ("GET", "/cohorts/{cohort}/activation"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/activation"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/learners/{other}/profession"): NOT_THEIR_COHORT,
    # "{invited}": the matrix's learner, invited to that cohort and not answering yet; only an
    # admin enrols them without their consent.
    ("POST", "/cohorts/{cohort}/learners/{invited}/confirm"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
    # Mail from the members page (tests/web/test_invitation_mail.py); "{other}" has a
    # password, so there is no activation link to send them.
    ("POST", "/cohorts/{cohort}/invitations/email"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/activation/email"): NOT_THEIR_COHORT,
    ("POST", "/cohorts/{cohort}/learners/{other}/activation/email"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    # Email addresses (tests/web/test_email_verification.py): "{signed}" is no valid token;
    # everyone's address is verified, so nobody asks for a new link.
    ("GET", "/verify-email/{signed}"): {ANON: 400, LEARNER: 400, TRAINER: 400, ADMIN: 400},
    ("POST", "/verify-email/resend"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("GET", "/account/email"): SIGNED_IN,
    ("POST", "/account/email"): SIGNED_IN,
    ("GET", "/account/email/confirm/{signed}"): {
        ANON: 400,
        LEARNER: 400,
        TRAINER: 400,
        ADMIN: 400,
    },
    ("GET", "/account/invitations"): SIGNED_IN,
    # "{invitation}" is that invitation: its learner answers it, nobody else finds it.
    ("POST", "/account/invitations/{invitation}/accept"): {
        ANON: LOGIN,
        LEARNER: OK,
        TRAINER: 404,
        ADMIN: 404,
    },
    ("POST", "/account/invitations/{invitation}/decline"): {
        ANON: LOGIN,
        LEARNER: OK,
        TRAINER: 404,
        ADMIN: 404,
    },
    # Activating an imported account: "{code}" is no activation code.
    ("GET", "/activate"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("POST", "/activate"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/activate/{code}"): {ANON: 404, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("POST", "/activate/{code}"): {ANON: 404, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    # Password recovery: for people signed out ("{token}" is no valid link); a reset link to
    # hand over: admins, and the trainers of a cohort the person accepted (below).
    ("GET", "/password/forgot"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("POST", "/password/forgot"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/password/forgot/sent"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/password/reset/{token}"): {ANON: 400, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("POST", "/password/reset/{token}"): {
        ANON: 400,
        LEARNER: LOGIN,
        TRAINER: LOGIN,
        ADMIN: LOGIN,
    },
    ("POST", "/users/{other}/reset-link"): NOT_THEIR_COHORT,
    ("GET", "/"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/healthz"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/login"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/register"): {ANON: OK, LEARNER: LOGIN, TRAINER: LOGIN, ADMIN: LOGIN},
    ("GET", "/account/"): {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/account/password"): {ANON: LOGIN, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/admin/users"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/admin/users/new"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/admin/users/{other}"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
    ("POST", "/admin/users/{other}"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
    # "{other}" has a password: there is nothing to activate (tests/web/test_admin.py).
    ("POST", "/admin/users/{other}/activation"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("GET", "/admin/invites"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("POST", "/admin/invites"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/admin/audit"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: FORBIDDEN, ADMIN: OK},
    ("GET", "/learn/"): SIGNED_IN,
    ("GET", "/learn/my"): SIGNED_IN,
    ("GET", "/learn/{slug}/"): SIGNED_IN,
    ("POST", "/learn/{slug}/restart"): SIGNED_IN,
    ("GET", "/learn/{slug}/lessons/intro"): SIGNED_IN,
    ("POST", "/learn/{slug}/lessons/intro/done"): SIGNED_IN,
    ("GET", "/learn/{slug}/lessons/assets/{asset}"): SIGNED_IN,
    # quizzes: "{attempt}" is the learner's open attempt, "{submitted}" their attempt whose
    # essay waits for the trainer, who teaches them (other cases: tests/web/test_quiz.py)
    ("GET", "/learn/{slug}/quizzes/check"): SIGNED_IN,
    ("POST", "/learn/{slug}/quizzes/check/start"): SIGNED_IN,
    ("GET", "/learn/{slug}/quizzes/check/attempts/{attempt}"): OWN_ATTEMPT,
    ("POST", "/learn/{slug}/quizzes/check/attempts/{attempt}"): OWN_ATTEMPT,
    ("GET", "/learn/{slug}/quizzes/check/attempts/{attempt}/review"): OWN_ATTEMPT,
    ("POST", "/learn/{slug}/quizzes/check/attempts/{attempt}/submit"): OWN_ATTEMPT,
    ("GET", "/learn/{slug}/quizzes/check/attempts/{submitted}/result"): OWN_ATTEMPT,
    ("GET", "/review/"): TRAINERS,
    ("GET", "/review/attempts/{submitted}"): TRAINERS,
    ("POST", "/review/attempts/{submitted}"): TRAINERS,
    # scenarios: run 999999 does not exist (owners, others, trainers: tests/web/test_scenarios.py)
    ("GET", "/learn/{slug}/scenarios/call"): SIGNED_IN,
    ("GET", "/learn/{slug}/scenarios/call/runs/999999"): {
        ANON: LOGIN,
        LEARNER: 404,
        TRAINER: 404,
        ADMIN: 404,
    },
    ("GET", "/learn/{slug}/scenarios/call/runs/999999/debrief"): {
        ANON: LOGIN,
        LEARNER: 404,
        TRAINER: 404,
        ADMIN: 404,
    },
    ("GET", "/learn/{slug}/scenarios/call/compare"): SIGNED_IN,
    ("GET", "/learn/{slug}/scenarios/call/class"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: OK,
        ADMIN: OK,
    },
    # Pairing runs of linked scenarios (tests/web/test_scenario_pairing.py); pairing 999999
    # does not exist.
    ("POST", "/learn/{slug}/scenarios/call/class/{cohort}/pairings"): NOT_THEIR_COHORT,
    ("POST", "/learn/{slug}/scenarios/call/class/{cohort}/pairings/999999/delete"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: 404,
    },
    # Classroom mode (tests/web/test_classroom.py): "{class}" is an open session of the
    # cohort run by another trainer, who alone controls it; only members join, guests are not
    # allowed; its debrief opens when it ends (an admin is sent back to the session till then).
    ("GET", "/class"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/class/sessions"): TRAINERS,
    # Without ?module=...&scenario=... there is nothing to start.
    ("GET", "/class/new"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: 404, ADMIN: 404},
    ("POST", "/class/new"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: 404, ADMIN: 404},
    ("GET", "/class/{class}"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("POST", "/class/{class}/join"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("POST", "/class/{class}/vote"): {
        ANON: FORBIDDEN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("GET", "/class/{class}/status.json"): {
        ANON: FORBIDDEN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("GET", "/class/{class}/control"): NOT_THE_SESSION_TRAINER,
    ("GET", "/class/{class}/projector"): NOT_THE_SESSION_TRAINER,
    ("POST", "/class/{class}/close"): NOT_THE_SESSION_TRAINER,
    ("POST", "/class/{class}/reveal"): NOT_THE_SESSION_TRAINER,
    ("POST", "/class/{class}/advance"): NOT_THE_SESSION_TRAINER,
    ("POST", "/class/{class}/end"): NOT_THE_SESSION_TRAINER,
    ("POST", "/class/{class}/counting"): NOT_THE_SESSION_TRAINER,
    ("GET", "/class/{class}/debrief"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: 302,
    },
    # certificates: "{certificate}" belongs to the "other" learner, "{code}" is its code
    ("GET", "/verify"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/verify/{code}"): {ANON: OK, LEARNER: OK, TRAINER: OK, ADMIN: OK},
    ("GET", "/certificates/"): {ANON: LOGIN, LEARNER: FORBIDDEN, TRAINER: OK, ADMIN: OK},
    ("GET", "/certificates/{certificate}/pdf"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: FORBIDDEN,
    },
    ("GET", "/certificates/{certificate}/revoke"): {
        ANON: LOGIN,
        LEARNER: FORBIDDEN,
        TRAINER: FORBIDDEN,
        ADMIN: OK,
    },
}
# The concrete values behind the placeholders, and the URL rules they stand for.
PLACEHOLDERS = {
    "{other}": "<int:user_id>",
    "{invited}": "<int:user_id>",
    "{invitation}": "<int:member_id>",
    "{cohort}": "<int:cohort_id>",
    "{assignment}": "<int:assignment_id>",
    "{slug}": "<slug>",
    "/intro": "/<lesson_id>",
    "{asset}": "<sha256>.<ext>",
    "/quizzes/check": "/quizzes/<quiz_id>",
    "{attempt}": "<int:attempt_id>",
    "{submitted}": "<int:attempt_id>",
    "{code}": "<code>",
    "{class}": "<code>",
    "{signed}": "<token>",
    "{token}": "<token>",
    "{certificate}": "<int:certificate_id>",
    "/scenarios/call": "/scenarios/<scenario_id>",
    "/pairings/999999": "/pairings/<int:pairing_id>",
    "/999999": "/<int:run_id>",
}
ROLES = {LEARNER: Role.LEARNER, TRAINER: Role.TRAINER, ADMIN: Role.ADMIN}


def test_matrix_covers_every_route(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint != "static"
    }
    # Routes with their own tests: sign-in/out POSTs, the switcher, registration, form posts.
    tested_elsewhere = {
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/language/<lang>"),
        ("POST", "/register"),
        ("POST", "/account/"),
        ("POST", "/account/password"),
        ("POST", "/admin/users/new"),
        ("POST", "/certificates/<int:certificate_id>/revoke"),
        ("POST", "/learn/<slug>/scenarios/<scenario_id>/runs"),
        ("POST", "/learn/<slug>/scenarios/<scenario_id>/runs/<int:run_id>"),
    }
    covered = set()
    for method, path in MATRIX:
        for placeholder, rule in PLACEHOLDERS.items():
            path = path.replace(placeholder, rule)
        covered.add((method, path))
    assert routes - tested_elsewhere == covered


@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_access_by_role(make_app, make_user, route):
    app = make_app()
    sync_example(app)
    with app.app_context():
        asset = db.session.scalar(select(ModuleAsset.sha256))
    other = make_user(role=Role.LEARNER, email="other@example.org")
    certificate = complete_example(app, other)
    users = {role: make_user(role=r, email=f"{role}@example.org") for role, r in ROLES.items()}
    attempt, submitted = policy_attempts(app, users[LEARNER].id, users[TRAINER].id)
    cohort, assignment = policy_cohort(app, other.id)
    invitation = invite(app, cohort, users[LEARNER].id)
    class_code = policy_class_session(app, cohort)
    method, path = route
    for role, expected in MATRIX[route].items():
        client = app.test_client()
        if role != ANON:
            sign_in(client, users[role])
        url = path.format(
            other=other.id,
            slug="example-module",
            asset=f"{asset}.png",
            code=certificate.code,
            certificate=certificate.id,
            attempt=attempt,
            submitted=submitted,
            cohort=cohort,
            assignment=assignment,
            invited=users[LEARNER].id,
            invitation=invitation,
            signed="not-a-token",
            token="not-a-reset-link",
            **{"class": class_code},
        )
        response = client.open(url, method=method, data={})
        if expected == OK and (method == "POST" or "/done" in path):
            assert response.status_code in (200, 302), role  # form errors or saved
        else:
            assert response.status_code == expected, role


def invite(app, cohort_id: int, user_id: int) -> int:
    """A pending membership (what a trainer's CSV enrolment makes of an existing account)."""
    with app.app_context():
        enrol_users(cohort_id, [user_id], accepted=False)
        db.session.commit()
        return db.session.scalar(
            select(CohortMember.id).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
            )
        )


# A pending membership grants nothing: (method, path) -> (while pending, once accepted; a
# post without its fields shows the form again or goes back to the page), for
# the trainer of the cohort that invited the learner. "{learner}" has an essay waiting for
# review ("{submitted}"), a scenario run ("{run}") and a certificate ("{certificate}").
PENDING = {
    ("GET", "/cohorts/{cohort}/learners/{learner}"): (FORBIDDEN, OK),
    ("POST", "/cohorts/{cohort}/learners/{learner}/profession"): (FORBIDDEN, 302),
    ("GET", "/review/attempts/{submitted}"): (FORBIDDEN, OK),
    ("POST", "/review/attempts/{submitted}"): (FORBIDDEN, OK),
    ("GET", "{run}/debrief"): (FORBIDDEN, OK),
    ("GET", "/certificates/{certificate}/revoke"): (FORBIDDEN, OK),
    ("POST", "/certificates/{certificate}/revoke"): (FORBIDDEN, OK),  # the form, not empty
}


@pytest.mark.parametrize("route", list(PENDING), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_pending_membership_grants_nothing(make_app, make_user, route):
    app = make_app()
    sync_example(app)
    learner = make_user(role=Role.LEARNER, email="learner@example.org")
    owner = make_user(role=Role.TRAINER, email="owner@example.org")
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    _attempt, submitted = policy_attempts(app, learner.id, owner.id)
    learner_client = app.test_client()
    sign_in(learner_client, learner)
    run = learner_client.post("/learn/example-module/scenarios/call/runs").headers["Location"]
    certificate = complete_example(app, learner)
    cohort, _assignment = policy_cohort(app, make_user().id)
    with app.app_context():
        db.session.execute(
            CohortMember.__table__.metadata.tables["cohort_trainers"].insert(),
            {"cohort_id": cohort, "user_id": trainer.id},
        )
        db.session.commit()
    invitation = invite(app, cohort, learner.id)
    method, path = route
    url = path.format(
        cohort=cohort, learner=learner.id, submitted=submitted, run=run,
        certificate=certificate.id,
    )  # fmt: skip
    client = app.test_client()
    sign_in(client, trainer)
    pending, accepted = PENDING[route]
    assert client.open(url, method=method, data={}).status_code == pending
    learner_client.post(f"/account/invitations/{invitation}/accept")
    assert client.open(url, method=method, data={}).status_code == accepted


def test_who_answers_or_confirms_an_invitation():
    """The rules alone, over plain objects: only the invited learner answers a pending,
    not withdrawn invitation; only an admin confirms one, and never a staff account's."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from trainer.policy import can

    now = datetime.now(UTC)

    def person(user_id, role):
        return SimpleNamespace(id=user_id, role=role, is_authenticated=True)

    learner, other = person(1, Role.LEARNER), person(2, Role.LEARNER)
    staff, admin = person(3, Role.TRAINER), person(4, Role.ADMIN)

    def member(user, accepted_at=None, removed_at=None):
        return SimpleNamespace(
            user_id=user.id, user=user, accepted_at=accepted_at, removed_at=removed_at
        )

    pending = member(learner)
    assert can(learner, "account.invitation.answer", pending)
    assert not can(other, "account.invitation.answer", pending)
    assert not can(admin, "account.invitation.answer", pending)
    assert not can(learner, "account.invitation.answer", member(learner, accepted_at=now))
    assert not can(learner, "account.invitation.answer", member(learner, removed_at=now))
    assert not can(staff, "account.invitation.answer", member(staff))
    assert can(admin, "cohorts.member.confirm", pending)
    assert not can(staff, "cohorts.member.confirm", pending)
    assert not can(admin, "cohorts.member.confirm", member(staff))
    assert not can(admin, "cohorts.member.confirm", member(learner, accepted_at=now))
    assert can(admin, "cohorts.enrol.direct") and not can(staff, "cohorts.enrol.direct")


def test_reset_links_are_for_admins_and_the_trainers_of_accepted_learners(app, make_user):
    from trainer.policy import can

    admin, other_admin = (make_user(role=Role.ADMIN) for _ in range(2))
    trainer, colleague = (make_user(role=Role.TRAINER) for _ in range(2))
    accepted, invited, removed, outsider = (make_user() for _ in range(4))
    cohort = make_cohort(app, [trainer.id], [accepted.id, removed.id])
    with app.app_context():
        enrol_users(cohort, [invited.id, colleague.id], accepted=False)
        db.session.execute(
            update(CohortMember)
            .where(CohortMember.user_id == removed.id)
            .values(removed_at=utcnow())
        )
        db.session.commit()
        everyone = (admin, other_admin, trainer, colleague, accepted, invited, removed, outsider)
        person = {u.id: db.session.get(User, u.id) for u in everyone}

        def rule(actor, target) -> bool:
            return can(person[actor.id], "users.reset_link", person[target.id])

        assert rule(trainer, accepted)
        assert not rule(trainer, invited)  # a pending invitation grants nothing
        assert not rule(trainer, removed)
        assert not rule(trainer, outsider)
        assert not rule(trainer, colleague)  # never a trainer's account
        assert not rule(accepted, trainer) and not rule(accepted, outsider)
        assert rule(admin, outsider) and rule(admin, other_admin) and rule(admin, trainer)
        assert not rule(admin, admin)
        person[outsider.id].active = False
        assert not rule(admin, outsider)  # deactivated: nothing to reset
