"""The audit log: each recorded act leaves exactly one row (actor, target, address) committed
with it, a failed act leaves none, and admins alone read it, filtered and paged; nothing in the
application changes or deletes a row."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import EXAMPLE_MODULE, sign_in, sql_statements, sync_example
from tests.quiz_helpers import policy_attempts
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import ROSTER, confirm_payload, make_cohort, upload
from trainer import accounts, audit, password_reset
from trainer.extensions import db
from trainer.learning.enrolment import enrol_users
from trainer.models import AuditEntry, CohortMember, InviteCode, Profession, Role, User
from trainer.models.audit import AuditLogIsAppendOnly

EN = {"Accept-Language": "en"}
ADDRESS = "203.0.113.7"
ESSAY = "explain-help"


def client_at(app, address=ADDRESS):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in(app, user, address=ADDRESS):
    client = client_at(app, address)
    sign_in(client, user)
    return client


def rows(app, action=None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def the_row(app, action) -> AuditEntry:
    [row] = rows(app, action)
    return row


@pytest.fixture
def trainer(make_user):
    return make_user(role=Role.TRAINER, email="trainer@example.org", name="Ольга", locale="en")


# Sign-in and passwords --------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_who_and_from_where(app, learner):
    assert signed_in(app, learner).get("/").status_code == 200
    row = the_row(app, "sign_in")
    assert (row.actor_id, row.actor_email, row.address) == (learner.id, learner.email, ADDRESS)
    assert (row.target_type, row.target_id) == ("user", learner.id)
    assert row.at > datetime.now(UTC) - timedelta(minutes=1)


def test_a_failed_sign_in_keeps_the_typed_email_and_no_actor(app, learner):
    client = client_at(app)
    client.post("/login", data={"email": "Nobody@Example.org", "password": "wrong-password!"})
    client.post("/login", data={"email": learner.email, "password": "wrong-password!"})
    first, second = rows(app, "sign_in_failed")
    assert (first.actor_id, first.actor_email, first.target_email) == (
        None,
        None,
        "nobody@example.org",
    )
    assert second.target_email == learner.email and second.address == ADDRESS
    assert first.details == {"reason": "wrong_credentials"}
    assert rows(app, "sign_in") == []
    with app.test_request_context(headers=EN):
        assert audit.readable_details(first) == [("reason", "wrong email or password")]


def test_a_deactivated_account_signing_in_is_a_failure(app, make_user):
    gone = make_user(email="gone@example.org")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    signed_in(app, gone)
    row = the_row(app, "sign_in_failed")
    assert (row.target_email, row.details) == ("gone@example.org", {"reason": "deactivated"})


def test_refused_sign_ins_are_failures_too(make_app, learner):
    app = make_app(LOGIN_RATE_LIMIT_PAIR="2 per minute")
    client = client_at(app)
    for _ in range(3):
        client.post("/login", data={"email": learner.email, "password": "wrong-password!"})
    reasons = [row.details["reason"] for row in rows(app, "sign_in_failed")]
    assert reasons == ["wrong_credentials", "wrong_credentials", "throttled"]


def test_activating_an_imported_account_signs_in(app, admin, learner):
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.password_hash = "!imported"
        [(_user, code)] = accounts.issue_activation_codes([user], db.session.get(User, admin.id))
        db.session.commit()
    client = client_at(app)
    form = {"name": "Анна Смирнова", "locale": "ru", "password": "long-enough-password",
            "confirm": "long-enough-password"}  # fmt: skip
    assert client.post(f"/activate/{code}", data=form).status_code == 302
    row = the_row(app, "sign_in")
    assert (row.actor_id, row.address, row.details) == (learner.id, ADDRESS, {"via": "activation"})


def test_a_reset_by_email_is_recorded_when_asked_and_when_used(mail_app, make_user, smtp_server):
    person = make_user(email="ivan@example.org")
    client = client_at(mail_app)
    assert client.post("/password/forgot", data={"email": "IVAN@example.org"}).status_code == 302
    asked = the_row(mail_app, "password_reset_requested")
    assert (asked.actor_id, asked.target_id, asked.target_email) == (None, person.id, person.email)
    assert (asked.address, asked.details) == (ADDRESS, {"via": "email"})

    with mail_app.test_request_context():
        token = password_reset.make_token(db.session.get(User, person.id))
    new = {"password": "a-brand-new-password", "confirm": "a-brand-new-password"}
    assert client.post(f"/password/reset/{token}", data=new).status_code == 302
    done = the_row(mail_app, "password_reset")
    assert (done.actor_id, done.target_id, done.address) == (person.id, person.id, ADDRESS)
    # The same link again fails, and records nothing more.
    assert client_at(mail_app).post(f"/password/reset/{token}", data=new).status_code == 410
    assert len(rows(mail_app, "password_reset")) == 1


def test_a_reset_link_handed_over_by_an_admin(app, admin, learner):
    client = signed_in(app, admin)
    assert client.post(f"/users/{learner.id}/reset-link").status_code == 200
    row = the_row(app, "password_reset_requested")
    assert (row.actor_id, row.target_id, row.details) == (admin.id, learner.id, {"via": "handed"})


def test_a_password_changed_on_the_account_page(app, learner):
    client = signed_in(app, learner)
    new = "another-long-password"
    form = {"current": "correct-horse-battery", "password": new, "confirm": new}
    assert client.post("/account/password", data=form).status_code == 302
    row = the_row(app, "password_changed")
    assert (row.actor_id, row.target_id, row.address) == (learner.id, learner.id, ADDRESS)
    client.post("/account/password", data={**form, "current": "wrong-password!"})
    assert len(rows(app, "password_changed")) == 1  # a wrong current password changes nothing


def test_the_command_line_records_accounts_and_reset_links(app, learner):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["users", "create", "--email", "cli@example.org", "--name", "Кли", "--role",
              "admin", "--password", "long-enough-password"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    created = the_row(app, "account_created")
    assert (created.actor_id, created.address) == (None, None)
    assert created.target_email == "cli@example.org"
    assert created.details == {"role": "admin", "profession": "other", "via": "cli"}
    assert runner.invoke(args=["users", "reset-password", learner.email]).exit_code == 0
    asked = the_row(app, "password_reset_requested")
    assert (asked.target_id, asked.details) == (learner.id, {"via": "cli"})


# Accounts ----------------------------------------------------------------------------------------


def test_role_profession_and_deactivation_each_leave_one_row(app, admin, learner):
    client = signed_in(app, admin)
    client.post(
        f"/admin/users/{learner.id}",
        data={"name": learner.name, "role": "trainer", "profession": "prosecutor"},
    )
    role = the_row(app, "role_changed")
    assert (role.actor_id, role.target_id, role.target_email) == (
        admin.id,
        learner.id,
        learner.email,
    )
    assert role.details == {"old": "learner", "new": "trainer"} and role.address == ADDRESS
    assert the_row(app, "profession_changed").details == {"old": "police", "new": "prosecutor"}
    assert the_row(app, "account_deactivated").target_id == learner.id
    # Saving again without a change records nothing.
    client.post(
        f"/admin/users/{learner.id}",
        data={"name": learner.name, "role": "trainer", "profession": "prosecutor"},
    )
    assert len(rows(app)) == 4  # the admin's sign-in and the three changes
    # The rows outlive the account's use: still there, email as it was.
    with app.app_context():
        assert not db.session.get(User, learner.id).active
    assert the_row(app, "account_deactivated").target_email == "learner@example.org"
    page = client.get("/admin/audit", headers=EN).text
    assert "was: Learner; now: Trainer" in page and "Account deactivation" in page
    assert "was: Police officer; now: Prosecutor" in page


def test_an_account_created_by_an_admin(app, admin):
    client = signed_in(app, admin)
    client.post(
        "/admin/users/new",
        data={
            "name": "Новый Человек",
            "email": "new@example.org",
            "role": "trainer",
            "profession": "judge",
            "password": "long-enough-password",
            "confirm": "long-enough-password",
        },
    )
    row = the_row(app, "account_created")
    assert (row.actor_id, row.target_email) == (admin.id, "new@example.org")
    assert row.details == {"role": "trainer", "profession": "judge"}


def test_a_failed_act_leaves_no_row(app, admin, learner, monkeypatch):
    client = signed_in(app, admin)

    def refuse():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", refuse)
    with pytest.raises(RuntimeError):
        client.post(
            f"/admin/users/{learner.id}",
            data={"name": learner.name, "role": "admin", "profession": "judge", "active": "y"},
        )
    monkeypatch.undo()
    assert rows(app, "role_changed") == [] and rows(app, "profession_changed") == []
    with app.app_context():
        assert db.session.get(User, learner.id).role == Role.LEARNER


def test_a_rolled_back_session_takes_its_row_with_it(app, learner):
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.profession = Profession.JUDGE
        audit.record("profession_changed", target=user, old="police", new="judge")
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_an_unknown_action_is_refused(app):
    with app.app_context(), pytest.raises(ValueError):
        audit.record("coffee_made")


# Cohorts -----------------------------------------------------------------------------------------


def test_a_roster_enrols_one_row_per_person(app, make_user, trainer):
    make_user(email="maria@example.org", profession=Profession.JUDGE)
    cohort_id = make_cohort(app, [trainer.id])
    client = signed_in(app, trainer)
    preview = upload(client, cohort_id, ROSTER)
    client.post(f"/cohorts/{cohort_id}/enrol/confirm", data={"payload": confirm_payload(preview)})
    created, invited = rows(app, "enrolled")
    assert (created.actor_id, created.target_email, created.address) == (
        trainer.id,
        "ivan@example.org",
        ADDRESS,
    )
    assert created.details == {"cohort_id": cohort_id, "via": "roster", "new_account": True}
    assert invited.target_email == "maria@example.org" and invited.details["invited"] is True
    # Confirming the same preview again enrols nobody, so records nothing.
    client.post(f"/cohorts/{cohort_id}/enrol/confirm", data={"payload": confirm_payload(preview)})
    assert len(rows(app, "enrolled")) == 2


def test_an_emailed_invitation_and_a_registration_with_its_code(mail_app, make_user, smtp_server):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    existing = make_user(email="existing@example.org")
    cohort_id = make_cohort(mail_app, [trainer.id])
    client = signed_in(mail_app, trainer)
    client.post(
        f"/cohorts/{cohort_id}/invitations/email",
        data={"addresses": "new@example.org, existing@example.org", "code": "new", "locale": "en"},
    )
    invited = the_row(mail_app, "enrolled")  # the new address has no account to enrol yet
    assert (invited.actor_id, invited.target_id, invited.address) == (
        trainer.id,
        existing.id,
        ADDRESS,
    )
    assert invited.details == {"cohort_id": cohort_id, "via": "email", "invited": True}

    with mail_app.app_context():
        code = db.session.scalar(select(InviteCode.code).where(InviteCode.cohort_id == cohort_id))
    password = "long-enough-password"
    client_at(mail_app, "192.0.2.9").post(
        "/register",
        data={"code": code, "name": "Новый Человек", "email": "new@example.org",
              "profession": "police", "locale": "ru", "password": password, "confirm": password},
    )  # fmt: skip
    created = the_row(mail_app, "account_created")
    assert created.actor_email == "new@example.org" and created.address == "192.0.2.9"
    assert created.details["via"] == "registration"
    joined = rows(mail_app, "enrolled")[-1]
    assert (joined.actor_email, joined.target_email, joined.details) == (
        "new@example.org",
        "new@example.org",
        {"cohort_id": cohort_id, "via": "invite_code"},
    )


def test_accepting_an_invitation_and_an_admin_confirming_one(app, admin, learner, make_user):
    other = make_user(email="other@example.org")
    cohort_id = make_cohort(app)
    with app.app_context():
        enrol_users(cohort_id, [learner.id, other.id], accepted=False)
        db.session.commit()
        ids = {
            m.user_id: m.id
            for m in db.session.scalars(
                select(CohortMember).where(CohortMember.cohort_id == cohort_id)
            )
        }
    own = signed_in(app, learner)
    assert own.post(f"/account/invitations/{ids[learner.id]}/accept").status_code == 302
    signed_in(app, admin, "198.51.100.1").post(f"/cohorts/{cohort_id}/learners/{other.id}/confirm")
    by_self, by_admin = rows(app, "invitation_accepted")
    assert (by_self.actor_id, by_self.target_type, by_self.target_id) == (
        learner.id,
        "member",
        ids[learner.id],
    )
    assert by_self.target_email == learner.email and by_self.details == {"cohort_id": cohort_id}
    assert (by_admin.actor_id, by_admin.target_email, by_admin.address) == (
        admin.id,
        other.email,
        "198.51.100.1",
    )


def test_an_admins_roster_enrols_at_once_and_says_so(app, admin, make_user):
    make_user(email="maria@example.org", profession=Profession.JUDGE)
    cohort_id = make_cohort(app)
    client = signed_in(app, admin)
    preview = upload(client, cohort_id, ROSTER)
    client.post(f"/cohorts/{cohort_id}/enrol/confirm", data={"payload": confirm_payload(preview)})
    created, enrolled = rows(app, "enrolled")
    assert created.target_email == "ivan@example.org" and created.details["new_account"] is True
    assert (enrolled.actor_id, enrolled.target_email, enrolled.address) == (
        admin.id,
        "maria@example.org",
        ADDRESS,
    )
    assert enrolled.details == {
        "cohort_id": cohort_id, "via": "roster", "invited": False, "direct": True,
    }  # fmt: skip
    with app.test_request_context(headers=EN):
        labels = dict(audit.readable_details(enrolled))
    assert labels["enrolled at once by an administrator"] == ""
    assert "invited (joins on accepting)" not in labels


def pending_member(app, cohort_id: int, user_id: int) -> int:
    with app.app_context():
        enrol_users(cohort_id, [user_id], accepted=False)
        db.session.commit()
        return db.session.scalar(
            select(CohortMember.id).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
            )
        )


def test_declining_an_invitation_is_recorded_once(app, learner):
    cohort_id = make_cohort(app)
    member_id = pending_member(app, cohort_id, learner.id)
    client = signed_in(app, learner)
    assert client.post(f"/account/invitations/{member_id}/decline").status_code == 302
    declined = the_row(app, "invitation_declined")
    assert (declined.actor_id, declined.target_type, declined.target_id) == (
        learner.id,
        "member",
        member_id,
    )
    assert (declined.target_email, declined.address) == (learner.email, ADDRESS)
    assert declined.details == {"cohort_id": cohort_id}
    # Declined is answered: a second try is refused and records nothing.
    assert client.post(f"/account/invitations/{member_id}/decline").status_code == 403
    assert len(rows(app, "invitation_declined")) == 1
    with app.app_context():
        assert db.session.get(CohortMember, member_id).removed_at is not None


def test_removing_a_member_and_withdrawing_an_invitation(app, trainer, learner, make_user):
    invited = make_user(email="invited@example.org")
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    pending_member(app, cohort_id, invited.id)
    client = signed_in(app, trainer)
    for person in (learner, invited, learner):  # the second removal of the learner: no change
        response = client.post(f"/cohorts/{cohort_id}/learners/{person.id}/remove")
        assert response.status_code == 302
    removed, withdrawn = rows(app, "member_removed")
    assert (removed.actor_id, removed.target_type, removed.target_email, removed.address) == (
        trainer.id,
        "member",
        learner.email,
        ADDRESS,
    )
    assert removed.details == {"cohort_id": cohort_id, "withdrawn": False}
    assert withdrawn.target_email == invited.email
    assert withdrawn.details == {"cohort_id": cohort_id, "withdrawn": True}
    with app.app_context():
        removed_at = db.session.scalars(
            select(CohortMember.removed_at).where(CohortMember.cohort_id == cohort_id)
        ).all()
    assert len(removed_at) == 2 and None not in removed_at


def test_an_export_is_recorded_with_its_format(app, trainer, learner):
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    client = signed_in(app, trainer)
    assert client.get(f"/cohorts/{cohort_id}/export.csv").status_code == 200
    assert client.get(f"/cohorts/{cohort_id}/export?format=xlsx").status_code == 200
    csv, xlsx = rows(app, "export_downloaded")
    assert (csv.actor_id, csv.target_type, csv.target_id) == (trainer.id, "cohort", cohort_id)
    assert csv.details == {"format": "csv-semicolon", "learners": 1}
    assert xlsx.details["format"] == "xlsx" and xlsx.address == ADDRESS


def test_a_trainer_changing_a_learners_profession(app, trainer, learner):
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    client = signed_in(app, trainer)
    client.post(
        f"/cohorts/{cohort_id}/learners/{learner.id}/profession", data={"profession": "judge"}
    )
    row = the_row(app, "profession_changed")
    assert (row.actor_id, row.target_id, row.details) == (
        trainer.id,
        learner.id,
        {"old": "police", "new": "judge"},
    )


# Grades, certificates, content -------------------------------------------------------------------


def test_an_essay_grade_is_recorded(app, trainer, learner):
    sync_example(app)
    _open, submitted = policy_attempts(app, learner.id, trainer.id)
    client = signed_in(app, trainer)
    marks = {f"score.{ESSAY}": "2", f"comment.{ESSAY}": "Good."}
    assert client.post(f"/review/attempts/{submitted}", data=marks).status_code == 302
    row = the_row(app, "essay_graded")
    assert (row.actor_id, row.target_type, row.target_id, row.target_email) == (
        trainer.id,
        "attempt",
        submitted,
        learner.email,
    )
    assert row.details["module"] == "example-module" and "score" in row.details
    # Grading again is refused and records nothing.
    client.post(f"/review/attempts/{submitted}", data=marks)
    assert len(rows(app, "essay_graded")) == 1


def test_a_certificate_issued_and_revoked(app, admin, learner):
    sync_example(app)
    certificate = complete_example(app, learner)
    issued = the_row(app, "certificate_issued")
    assert (issued.actor_id, issued.target_type, issued.target_id) == (
        learner.id,
        "certificate",
        certificate.id,
    )
    assert issued.details == {"module": "example-module", "version": 1}
    client = signed_in(app, admin)
    data = {"reason": "Выдан по ошибке", "confirmed": "yes"}
    client.post(f"/certificates/{certificate.id}/revoke", data=data)
    revoked = the_row(app, "certificate_revoked")
    assert (revoked.actor_id, revoked.target_id, revoked.target_email) == (
        admin.id,
        certificate.id,
        learner.email,
    )
    assert revoked.details == {"reason": "Выдан по ошибке"} and revoked.address == ADDRESS
    client.post(f"/certificates/{certificate.id}/revoke", data=data)  # already revoked
    assert len(rows(app, "certificate_revoked")) == 1


def test_a_content_sync_is_one_row(app):
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(EXAMPLE_MODULE)])
    assert result.exit_code == 0, result.output
    row = the_row(app, "modules_synced")
    assert (row.actor_id, row.address) == (None, None)
    assert row.details == {
        "modules": [{"folder": "example-module", "status": "created", "version": 1}]
    }


# Reading the log ---------------------------------------------------------------------------------


def add_entries(app, count, action="sign_in", email="someone@example.org", at=None):
    with app.app_context():
        db.session.add_all(
            AuditEntry(
                action=action,
                actor_email=email,
                target_email=email,
                at=at or datetime.now(UTC),
                details={"n": n},
            )
            for n in range(count)
        )
        db.session.commit()


def test_only_admins_read_the_log(app, admin, trainer, learner):
    for user in (trainer, learner):
        assert signed_in(app, user).get("/admin/audit").status_code == 403
    assert app.test_client().get("/admin/audit").status_code == 302  # to the sign-in page
    page = signed_in(app, admin).get("/admin/audit", headers=EN)
    assert page.status_code == 200 and "Audit log" in page.text
    assert "admin@example.org" in page.text and ADDRESS in page.text  # the admin's own sign-in


def test_the_log_filters_by_action_email_and_dates(app, admin):
    add_entries(app, 2, "export_downloaded", "olga@example.org")
    add_entries(app, 1, "role_changed", "petr@example.org")
    old = datetime(2026, 1, 10, 12, tzinfo=UTC)
    add_entries(app, 1, "certificate_revoked", "ancient@example.org", at=old)
    client = signed_in(app, admin)

    def shown(**query):
        return client.get("/admin/audit", query_string=query, headers=EN).text

    page = shown(action="export_downloaded")
    assert "2 entries found" in page and "petr@" not in page
    page = shown(email="PETR@")
    assert "1 entry found" in page and "Role change" in page and "olga@" not in page
    page = shown(date_from="2026-01-10", date_to="2026-01-10")
    assert "1 entry found" in page and "ancient@example.org" in page
    assert "0 entries found" in shown(date_from="2026-01-11", date_to="2026-01-11")
    page = shown(date_from="2026-02-01", date_to="2026-01-01")
    assert "The end date is before the start date." in page
    assert "Not a valid choice" in shown(action="coffee_made")  # shown, and nothing listed
    assert "% " not in shown(email="%")  # a wildcard typed is matched literally


REFUSED_FILTERS = {
    "an impossible date": {"date_from": "2026-02-30"},
    "not a date": {"date_to": "yesterday"},
    "a year out of range": {"date_from": "1999-12-31"},
    "the end before the start": {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    "a refused date beside a good email": {"email": "olga@", "date_to": "2026-13-01"},
    "an unknown action": {"action": "coffee_made"},
}
NOT_APPLIED = {
    "en": "The filter was not applied, so no entries are shown: correct what is marked above, "
    "or show all entries.",
    "ru": "Фильтр не применён, поэтому записи не показаны: исправьте отмеченное выше или "
    "покажите все записи.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("query", REFUSED_FILTERS.values(), ids=REFUSED_FILTERS.keys())
def test_a_refused_filter_lists_nothing_rather_than_everything(app, admin, query, lang):
    """Unfiltered entries under a filter the reader believes applied would answer another
    question than the one asked (who did this, in that week): the message, and no entry."""
    add_entries(app, 2, "export_downloaded", "olga@example.org")
    add_entries(app, 1, "role_changed", "petr@example.org")
    client = signed_in(app, admin)

    page = client.get("/admin/audit", query_string=query, headers={"Accept-Language": lang}).text

    assert NOT_APPLIED[lang] in page
    assert 'aria-invalid="true"' in page  # the field to correct is marked
    assert "olga@example.org" not in page and "petr@example.org" not in page
    assert "<table" not in page and "found" not in page and "найден" not in page
    assert 'href="/admin/audit">' in page  # "Show all" leads back to every entry
    shown_all = client.get("/admin/audit", headers=EN).text
    assert "4 entries found" in shown_all and "olga@example.org" in shown_all


def test_the_log_is_paged_newest_first_in_a_constant_number_of_queries(app, admin):
    client = signed_in(app, admin)
    add_entries(app, 3)
    few = count_queries(app, client, "/admin/audit")
    add_entries(app, 120, "export_downloaded", "bulk@example.org")
    many = count_queries(app, client, "/admin/audit")
    assert few == many
    first = client.get("/admin/audit", headers=EN).text
    assert first.count("bulk@example.org") == 50 * 2 and "Page 1 of 3" in first
    assert "someone@example.org" not in first  # older, on a later page
    last = client.get("/admin/audit", query_string={"page": 3, "email": "someone"}, headers=EN).text
    assert "someone@example.org" not in last  # page 3 of a one-page result is empty
    second = client.get(
        "/admin/audit", query_string={"page": 2, "action": "export_downloaded"}, headers=EN
    ).text
    assert "action=export_downloaded" in second  # the pager keeps the filter


def count_queries(app, client, url) -> int:
    with sql_statements(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_no_route_changes_the_log(app, admin):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [rule.endpoint for rule in audit_rules] == ["admin.audit_log"]
    assert audit_rules[0].methods <= {"GET", "HEAD", "OPTIONS"}
    client = signed_in(app, admin)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/admin/audit").status_code == 405
    assert len(rows(app)) == 1


def test_the_orm_refuses_to_change_or_delete_a_row(app, learner):
    signed_in(app, learner)
    with app.app_context():
        row = db.session.scalar(select(AuditEntry))
        row.address = "10.0.0.1"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditEntry)))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
    assert rows(app)[0].address == ADDRESS


def test_action_labels_cover_every_action():
    assert set(audit.ACTION_LABELS) == set(audit.Action)


def test_the_date_filters_speak_the_readers_language(app, admin):
    client = signed_in(app, admin)
    ru = {"Accept-Language": "ru"}
    page = client.get("/admin/audit", query_string={"date_from": "1999-12-31"}, headers=ru).text
    # CLDR's Russian dates, with a narrow no-break space before "г."; one period at the end.
    assert "<p>Укажите дату с 1 янв. 2000\u202fг. по 31 дек. 2999\u202fг.</p>" in page
    assert "2000-01-01" not in page and "2999-12-31" not in page
    assert '<label for="date_from">С</label>' in page and '<label for="date_to">По</label>' in page
    page = client.get("/admin/audit", query_string={"date_to": "31.12.2026"}, headers=ru).text
    assert "Неверное значение даты." in page  # WTForms' own message, in Russian too
    english = client.get("/admin/audit", query_string={"date_to": "3000-01-01"}, headers=EN).text
    assert "Enter a date from Jan 1, 2000 to Dec 31, 2999." in english
