"""Authority over a learner comes from an accepted membership only (issue 11): enrolling an
existing account invites it, imported accounts are activated with one-time links, invite codes
carry their cohort's professions, and lesson assets follow the lessons' audience."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import sign_in, sync_example
from tests.quiz_helpers import policy_attempts
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import confirm_payload, make_cohort, upload
from trainer.extensions import db
from trainer.models import (
    ActivationToken,
    Cohort,
    CohortMember,
    InviteCode,
    ModuleAsset,
    Profession,
    Role,
    User,
)
from trainer.models.types import utcnow

EN = {"Accept-Language": "en"}


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def roster(*lines: str) -> bytes:
    return ("name,email,profession\n" + "\n".join(lines) + "\n").encode()


def enrol_file(client, cohort_id: int, data: bytes):
    """Upload and confirm; the preview's response."""
    preview = upload(client, cohort_id, data)
    assert preview.status_code == 200
    client.post(f"/cohorts/{cohort_id}/enrol/confirm", data={"payload": confirm_payload(preview)})
    return preview


def membership(app, cohort_id: int, user_id: int) -> CohortMember | None:
    with app.app_context():
        return db.session.scalar(
            select(CohortMember).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
            )
        )


# Enrolling an existing account is an invitation -------------------------------------------


@pytest.fixture
def taught(app, make_user):
    """A learner of trainer A's cohort with records: an essay waiting for review, a scenario
    run, a certificate. Returns (learner, trainer A, submitted attempt id, run url, cert)."""
    sync_example(app)
    learner = make_user(email="anna@example.org", name="Анна Смирнова", locale="en")
    owner = make_user(role=Role.TRAINER, email="owner@example.org", name="Тренер А")
    _attempt, submitted = policy_attempts(app, learner.id, owner.id)
    run = client_for(app, learner).post("/learn/example-module/scenarios/call/runs")
    certificate = complete_example(app, learner)
    assert certificate is not None
    return learner, owner, submitted, run.headers["Location"], certificate


def test_a_csv_upload_does_not_hand_another_trainers_learner_over(app, make_user, taught):
    learner, _owner, submitted, run_url, certificate = taught
    other = make_user(role=Role.TRAINER, email="other@example.org", name="Тренер Б", locale="en")
    other_client = client_for(app, other)
    cohort_id = make_cohort(app, [other.id], name="Группа Б")
    preview = enrol_file(other_client, cohort_id, roster("Typed Name,anna@example.org,judge"))
    # The preview says only that an account exists: no name, no profession, no role.
    assert "1 existing account will be invited" in preview.text
    assert "Анна Смирнова" not in preview.text and "Police officer" not in preview.text
    assert membership(app, cohort_id, learner.id).pending

    # Pending, the membership grants nothing.
    assert other_client.get(f"/review/attempts/{submitted}").status_code == 403
    assert other_client.get(f"{run_url}/debrief").status_code == 403
    assert other_client.get(f"/certificates/{certificate.id}/revoke").status_code == 403
    assert other_client.get(f"/cohorts/{cohort_id}/learners/{learner.id}").status_code == 403
    for page in (f"/cohorts/{cohort_id}/", f"/cohorts/{cohort_id}/members", "/certificates/"):
        assert "Анна Смирнова" not in other_client.get(page, headers=EN).text, page
    assert "Анна" not in other_client.get(f"/cohorts/{cohort_id}/export.csv").data.decode()

    # The learner sees the invitation on signing in, and accepts it.
    anna = app.test_client()
    signed = sign_in(anna, learner)  # the message is in the learner's language
    assert (
        "A trainer invites you to join a cohort."
        in anna.get(signed.headers["Location"], headers=EN).text
    )
    page = anna.get("/account/invitations", headers=EN).text
    assert "Группа Б" in page and "Тренер Б" in page
    member_id = membership(app, cohort_id, learner.id).id
    assert anna.post(f"/account/invitations/{member_id}/accept").status_code == 302
    assert not membership(app, cohort_id, learner.id).pending
    assert other_client.get(f"/cohorts/{cohort_id}/learners/{learner.id}").status_code == 200
    assert other_client.get(f"/review/attempts/{submitted}").status_code == 200


def test_a_declined_invitation_stays_without_authority(app, make_user, taught):
    learner, *_ = taught
    other = make_user(role=Role.TRAINER, email="other@example.org")
    other_client = client_for(app, other)
    cohort_id = make_cohort(app, [other.id], name="Группа Б")
    enrol_file(other_client, cohort_id, roster("X,anna@example.org,police"))
    member_id = membership(app, cohort_id, learner.id).id
    anna = client_for(app, learner)
    assert anna.post(f"/account/invitations/{member_id}/decline").status_code == 302
    assert anna.post(f"/account/invitations/{member_id}/accept").status_code == 403
    assert membership(app, cohort_id, learner.id).accepted_at is None
    assert other_client.get(f"/cohorts/{cohort_id}/learners/{learner.id}").status_code == 403


def test_only_the_invited_learner_answers_an_invitation(app, make_user, taught):
    learner, *_ = taught
    other = make_user(role=Role.TRAINER, email="other@example.org")
    cohort_id = make_cohort(app, [other.id], name="Группа Б")
    enrol_file(client_for(app, other), cohort_id, roster("X,anna@example.org,police"))
    member_id = membership(app, cohort_id, learner.id).id
    stranger = make_user(email="stranger@example.org")
    for client in (client_for(app, stranger), client_for(app, other)):
        assert client.post(f"/account/invitations/{member_id}/accept").status_code == 404
    assert membership(app, cohort_id, learner.id).pending


def test_staff_accounts_in_a_file_look_like_any_account_and_never_become_learners(app, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    colleague = make_user(role=Role.TRAINER, email="colleague@example.org", name="Коллега")
    admin = make_user(role=Role.ADMIN, email="admin@example.org", name="Админ")
    learner = make_user(email="learner@example.org")
    client = client_for(app, trainer)
    cohort_id = make_cohort(app, [trainer.id])
    data = roster(
        "A,colleague@example.org,police", "B,admin@example.org,judge", "C,learner@example.org,judge"
    )
    preview = enrol_file(client, cohort_id, data)
    assert "3 existing accounts will be invited" in preview.text
    for hidden in ("trainer or administrator", "Коллега", "Админ", "Administrator"):
        assert hidden not in preview.text
    for staff in (colleague, admin):
        assert membership(app, cohort_id, staff.id).pending
        staff_client = client_for(app, staff)
        assert "Группа" not in staff_client.get("/account/invitations", headers=EN).text
        member_id = membership(app, cohort_id, staff.id).id
        assert staff_client.post(f"/account/invitations/{member_id}/accept").status_code == 403
        assert membership(app, cohort_id, staff.id).pending
    assert membership(app, cohort_id, learner.id).pending


def test_an_admin_enrols_learners_at_once_and_may_confirm_an_invitation(app, make_user, admin):
    learner = make_user(email="learner@example.org")
    invited = make_user(email="invited@example.org")
    staff = make_user(role=Role.TRAINER, email="staff@example.org")
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    cohort_id = make_cohort(app, [trainer.id])
    enrol_file(client_for(app, trainer), cohort_id, roster("I,invited@example.org,police"))
    admin_client = client_for(app, admin)
    preview = enrol_file(
        admin_client, cohort_id, roster("L,learner@example.org,police", "S,staff@example.org,judge")
    )
    assert "1 existing account will be enrolled" in preview.text
    assert "This email belongs to a trainer or administrator account." in preview.text
    assert not membership(app, cohort_id, learner.id).pending
    assert membership(app, cohort_id, staff.id) is None
    assert (
        client_for(app, trainer)
        .post(f"/cohorts/{cohort_id}/learners/{invited.id}/confirm")
        .status_code
        == 403
    )
    assert membership(app, cohort_id, invited.id).pending
    admin_client.post(f"/cohorts/{cohort_id}/learners/{invited.id}/confirm")
    assert not membership(app, cohort_id, invited.id).pending


def test_a_trainer_withdraws_an_invitation_without_learning_the_name(app, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    learner = make_user(email="learner@example.org", name="Тайное Имя")
    client = client_for(app, trainer)
    cohort_id = make_cohort(app, [trainer.id])
    enrol_file(client, cohort_id, roster("Typed,learner@example.org,police"))
    members = client.get(f"/cohorts/{cohort_id}/members", headers=EN).text
    assert "learner@example.org" in members and "invited, has not accepted yet" in members
    assert "Тайное Имя" not in members
    page = client.post(
        f"/cohorts/{cohort_id}/learners/{learner.id}/remove", headers=EN, follow_redirects=True
    ).text
    assert "The invitation to learner@example.org was withdrawn." in page
    assert "Тайное Имя" not in page
    assert membership(app, cohort_id, learner.id).removed_at is not None


# Activation of imported accounts -----------------------------------------------------------


@pytest.fixture
def imported(app, make_user):
    """A trainer's cohort with two accounts created from a file; (trainer, client, cohort)."""
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    client = client_for(app, trainer)
    cohort_id = make_cohort(app, [trainer.id])
    done = client.post(
        f"/cohorts/{cohort_id}/enrol/confirm",
        data={
            "payload": confirm_payload(
                upload(client, cohort_id, roster("Иван,ivan@example.org,police",
                                                 "Мария,maria@example.org,judge"))
            )
        },
    )  # fmt: skip
    assert done.headers["Location"].endswith(f"/cohorts/{cohort_id}/activation")
    return trainer, client, cohort_id


def sheet(client, cohort_id) -> dict[str, str]:
    """Print the sheet: email -> activation link path."""
    page = client.post(f"/cohorts/{cohort_id}/activation", headers=EN).text
    links = re.findall(
        r"<td>([^<]+@example\.org)</td>\s*<td><code>http://localhost(/activate/[^<]+)<", page
    )
    return dict(links)


def activate(client, path, name="Иван Кузнецов", password="long-enough-pass"):  # noqa: S107
    return client.post(
        path,
        data={"name": name, "locale": "en", "password": password, "confirm": password},
        headers=EN,
    )


def test_an_imported_account_is_activated_once_by_its_own_link(app, imported):
    _trainer, client, cohort_id = imported
    links = sheet(client, cohort_id)
    assert set(links) == {"ivan@example.org", "maria@example.org"}
    with app.app_context():
        stored = set(db.session.scalars(select(ActivationToken.token_hash)))
    code = links["ivan@example.org"].rsplit("/", 1)[1]
    assert code not in stored and len(stored) == 2  # hashed

    person = app.test_client()
    page = person.get(links["ivan@example.org"], headers=EN)
    assert page.status_code == 200 and "ivan@example.org" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert activate(person, links["ivan@example.org"]).status_code == 302
    assert "Иван Кузнецов" in person.get("/account/", headers=EN).text
    with app.app_context():
        ivan = db.session.scalar(select(User).where(User.email == "ivan@example.org"))
        assert ivan.check_password("long-enough-pass") and not ivan.awaits_activation

    # Used once: the same link, from anyone, is refused.
    again = activate(app.test_client(), links["ivan@example.org"], password="another-password")
    assert again.status_code == 404 and "does not work" in again.text
    with app.app_context():
        ivan = db.session.scalar(select(User).where(User.email == "ivan@example.org"))
        assert ivan.check_password("long-enough-pass")
    # The sheet now offers only Мария.
    assert set(sheet(client, cohort_id)) == {"maria@example.org"}


def test_a_code_typed_from_the_sheet_works_and_a_new_sheet_replaces_the_old(app, imported):
    _trainer, client, cohort_id = imported
    old = sheet(client, cohort_id)["maria@example.org"]
    new = sheet(client, cohort_id)["maria@example.org"]
    assert app.test_client().get(old).status_code == 404
    code = new.rsplit("/", 1)[1]
    typed = app.test_client().post("/activate", data={"code": f" {code.lower()} "})
    assert typed.status_code == 302
    person = app.test_client()
    assert person.get(typed.headers["Location"]).status_code == 200
    assert activate(person, typed.headers["Location"], name="Мария").status_code == 302


def test_an_expired_link_is_refused(app, imported):
    _trainer, client, cohort_id = imported
    link = sheet(client, cohort_id)["ivan@example.org"]
    with app.app_context():
        for token in db.session.scalars(select(ActivationToken)):
            token.expires_at = utcnow()
        db.session.commit()
    assert activate(app.test_client(), link).status_code == 404


def test_only_a_trainer_of_the_cohort_where_it_was_created_prints_its_link(
    app, make_user, imported
):
    _trainer, _client, _cohort_id = imported
    other = make_user(role=Role.TRAINER, email="other@example.org")
    other_client = client_for(app, other)
    theirs = make_cohort(app, [other.id], name="Чужая")
    enrol_file(other_client, theirs, roster("Иван,ivan@example.org,police"))  # invited only
    assert sheet(other_client, theirs) == {}
    with app.app_context():
        assert db.session.scalar(select(func.count(ActivationToken.id))) == 0
    assert other_client.post(f"/cohorts/{_cohort_id}/activation").status_code == 403


# Invite codes carry the cohort's professions --------------------------------------------------


def cohort_code(app, professions) -> str:
    with app.app_context():
        cohort = Cohort(name="Суды", professions=professions)
        db.session.add(cohort)
        db.session.flush()
        invite = InviteCode(cohort_id=cohort.id, expires_at=utcnow().replace(year=2100),
                            max_uses=10)  # fmt: skip
        db.session.add(invite)
        db.session.commit()
        return invite.code


def profession_of(app, email) -> Profession:
    with app.app_context():
        return db.session.scalar(select(User.profession).where(User.email == email))


def test_a_cohort_code_registers_its_one_profession_whatever_is_posted(app):
    code = cohort_code(app, ["judge"])
    form = app.test_client().get(f"/register?code={code}", headers=EN).text
    select_html = form.split('name="profession"')[1].split("</select>")[0]
    assert re.findall(r'value="([a-z_]+)"', select_html) == ["judge"]
    posted = app.test_client().post(
        "/register",
        data={"code": code, "name": "A", "email": "a@example.org", "profession": "police",
              "locale": "en", "password": "long-enough-pass", "confirm": "long-enough-pass"},
    )  # fmt: skip
    assert posted.status_code == 302
    assert profession_of(app, "a@example.org") == Profession.JUDGE


def test_a_cohort_code_with_several_professions_refuses_another(app):
    code = cohort_code(app, ["judge", "prosecutor"])

    def post(email, profession):
        return app.test_client().post(
            "/register",
            data={"code": code, "name": "A", "email": email, "profession": profession,
                  "locale": "en", "password": "long-enough-pass",
                  "confirm": "long-enough-pass"},
            headers=EN,
        )  # fmt: skip

    refused = post("p@example.org", "police")
    assert refused.status_code == 200
    assert "This invite code is for: Judge, Prosecutor. Choose one of them." in refused.text
    with app.app_context():
        assert db.session.scalar(select(InviteCode.uses)) == 0
        assert db.session.scalar(select(func.count(User.id))) == 0
    assert post("p@example.org", "prosecutor").status_code == 302
    assert profession_of(app, "p@example.org") == Profession.PROSECUTOR


def test_a_new_cohort_names_its_professions(app, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    response = client_for(app, trainer).post("/cohorts/new", data={"name": "X"}, headers=EN)
    assert "Choose at least one profession." in response.text


# A learner's profession is the trainer's or the admin's to change ------------------------------


def test_a_learner_cannot_change_their_profession(app, learner):
    client = client_for(app, learner)
    client.post("/account/", data={"name": "Анна", "locale": "en", "profession": "judge"})
    assert profession_of(app, learner.email) == Profession.POLICE


def test_the_cohorts_trainer_changes_a_learners_profession(app, make_user, learner):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    stranger = make_user(role=Role.TRAINER, email="stranger@example.org")
    cohort_id = make_cohort(app, [trainer.id], [learner.id])
    url = f"/cohorts/{cohort_id}/learners/{learner.id}/profession"
    assert client_for(app, stranger).post(url, data={"profession": "judge"}).status_code == 403
    client = client_for(app, trainer)
    assert 'name="profession"' in client.get(f"/cohorts/{cohort_id}/learners/{learner.id}").text
    assert client.post(url, data={"profession": "judge"}).status_code == 302
    assert profession_of(app, learner.email) == Profession.JUDGE
    client.post(url, data={"profession": "chef"})
    assert profession_of(app, learner.email) == Profession.JUDGE


def test_a_pending_invitation_gives_no_say_over_the_profession(app, make_user, learner):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    client = client_for(app, trainer)
    cohort_id = make_cohort(app, [trainer.id])
    enrol_file(client, cohort_id, roster("X,learner@example.org,judge"))
    url = f"/cohorts/{cohort_id}/learners/{learner.id}/profession"
    assert client.post(url, data={"profession": "judge"}).status_code == 403
    assert profession_of(app, learner.email) == Profession.POLICE


# Lesson assets follow the lessons' audience ----------------------------------------------------


@pytest.fixture
def asset_url(app):
    sync_example(app)
    with app.app_context():
        sha = db.session.scalar(select(ModuleAsset.sha256))
    return f"/learn/example-module/lessons/assets/{sha}.png"


def test_assets_are_private_and_follow_the_audience(app, make_user, asset_url):
    officer = client_for(app, make_user(email="officer@example.org"))
    response = officer.get(asset_url)
    assert response.status_code == 200
    assert response.cache_control.private and not response.cache_control.public
    outsider = make_user(email="social@example.org", profession=Profession.SOCIAL_WORKER)
    outsider_client = client_for(app, outsider)
    assert outsider_client.get("/learn/example-module/lessons/intro").status_code == 403
    assert outsider_client.get(asset_url).status_code == 403


def test_an_asset_is_not_served_under_another_modules_slug(app, make_user, asset_url, module_copy):
    folder = module_copy.parent / "social-module"
    module_copy.rename(folder)
    yaml = folder / "module.yaml"
    text = yaml.read_text().replace("slug: example-module", "slug: social-module")
    yaml.write_text(
        text.replace("audience: [police, judge, prosecutor]", "audience: [social_worker]")
    )
    for lesson in folder.glob("lessons/01-intro.*.md"):
        lesson.write_text("\n".join(
            line for line in lesson.read_text().splitlines() if "images/diagram.png" not in line
        ))  # fmt: skip
    sync_example(app, folder)
    outsider = client_for(
        app, make_user(email="social@example.org", profession=Profession.SOCIAL_WORKER)
    )
    assert outsider.get("/learn/social-module/lessons/intro").status_code == 200
    assert outsider.get(asset_url.replace("example-module", "social-module")).status_code == 404


def test_the_new_forms_refuse_a_post_without_its_csrf_token(make_app, make_user):
    from trainer.learning.enrolment import enrol_users

    app = make_app(WTF_CSRF_ENABLED=True)

    def signed_in(user):
        client = app.test_client()
        page = client.get("/login").text
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert sign_in(client, user, csrf_token=token).status_code == 302
        return client

    learner = make_user(email="learner@example.org")
    accepted = make_user(email="accepted@example.org")
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    cohort_id = make_cohort(app, [trainer.id], [accepted.id])
    with app.app_context():
        enrol_users(cohort_id, [learner.id], accepted=False)
        db.session.commit()
    member_id = membership(app, cohort_id, learner.id).id
    learner_client, trainer_client = signed_in(learner), signed_in(trainer)
    assert learner_client.post(f"/account/invitations/{member_id}/accept").status_code == 400
    assert membership(app, cohort_id, learner.id).pending
    url = f"/cohorts/{cohort_id}/learners/{accepted.id}/profession"
    assert trainer_client.post(url, data={"profession": "judge"}).status_code == 400
    assert profession_of(app, accepted.email) == Profession.POLICE
    assert trainer_client.post(f"/cohorts/{cohort_id}/activation").status_code == 400
    assert app.test_client().post("/activate", data={"code": "ABCD"}).status_code == 400


def test_the_members_page_asks_the_trainers_authority_once_however_many_rows(app, make_user):
    """Each pending invitation and each account awaiting activation shows the trainer's buttons:
    the page's queries must not grow with them."""
    from tests.web.test_cohorts import statements_during

    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale="en")
    cohort_id = make_cohort(app, [trainer.id])
    client = client_for(app, trainer)

    def add_invited(first: int, last: int) -> None:
        for n in range(first, last):
            person = make_user(email=f"person{n}@example.org")
            with app.app_context():
                invited = CohortMember(cohort_id=cohort_id, user_id=person.id)
                db.session.add(invited)
                db.session.flush()
                invited.accepted_at = None  # pending: not accepted yet
                db.session.commit()

    add_invited(0, 1)
    one, _ = statements_during(app, client, f"/cohorts/{cohort_id}/members")
    add_invited(1, 6)
    six, page = statements_during(app, client, f"/cohorts/{cohort_id}/members")
    assert page.text.count("Withdraw the invitation") == 6
    assert len(six) == len(one), six
