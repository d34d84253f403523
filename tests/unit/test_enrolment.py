"""Roster parsing (encodings, separators, problems by line) and the idempotent enrolment."""

import pytest
from sqlalchemy import func, select

from trainer.extensions import db
from trainer.learning.enrolment import (
    MAX_ROSTER_BYTES,
    RosterError,
    apply_enrolment,
    parse_roster,
    plan_enrolment,
)
from trainer.models import Cohort, CohortMember, Profession, Role, User
from trainer.models.types import utcnow

ROSTER = (
    "ФИО;Email;Профессия;Язык\n"
    "Иван Кузнецов;Ivan@Example.org;полиция;ru\n"
    "Мария Волкова;maria@example.org;судья;\n"
    "Пётр Сидоров;petr@example.org;prosecutor;en\n"
)


def texts(row) -> list[str]:
    return [str(problem) for problem in row.problems]


@pytest.mark.parametrize(
    "data",
    [
        ROSTER.encode("utf-8"),
        ROSTER.encode("utf-8-sig"),
        ROSTER.encode("cp1251"),
        ROSTER.replace(";", ",").encode("cp1251"),
        ROSTER.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "cp1251", "cp1251-comma", "crlf"],
)
def test_russian_excel_files_read_the_same(app, data):
    with app.test_request_context():
        roster = parse_roster(data)
    assert [(r.line, r.name, r.email, r.profession, r.locale) for r in roster.rows] == [
        (2, "Иван Кузнецов", "ivan@example.org", Profession.POLICE, "ru"),
        (3, "Мария Волкова", "maria@example.org", Profession.JUDGE, None),
        (4, "Пётр Сидоров", "petr@example.org", Profession.PROSECUTOR, "en"),
    ]
    assert all(row.valid for row in roster.rows)


def test_encoding_and_separator_are_reported(app):
    with app.test_request_context():
        assert parse_roster(ROSTER.encode("cp1251")).encoding == "windows-1251"
        utf8 = parse_roster(ROSTER.replace(";", ",").encode("utf-8-sig"))
    assert (utf8.encoding, utf8.delimiter) == ("utf-8", ",")


def test_problems_are_named_with_their_line(app):
    data = (
        b"name,email,profession\n"
        b"Anna,anna@example.org,police\n"
        b",nobody@example.org,judge\n"
        b"Bad Email,not-an-email,judge\n"
        b"\n"
        b"Anna Again,ANNA@example.org,police\n"
        b"Cook,cook@example.org,chef\n"
        + "Anna Fullwidth,ａｎｎａ@example.org,police\n".encode()
    )
    with app.test_request_context():
        rows = parse_roster(data).rows
        problems = {row.line: texts(row) for row in rows}
    assert problems[2] == []
    assert problems[3] == ["The name is empty."]
    assert problems[4] == ["“not-an-email” is not a valid email address."]
    assert problems[6] == ["The same email as on line 2."]  # the blank line 5 is skipped
    assert problems[7][0].startswith("Unknown profession “chef”")
    assert problems[8] == ["The same email as on line 2."]


def test_a_quotation_mark_left_open_is_named_on_its_line(app):
    data = b'name,email,profession\n"Anna,anna@example.org,police\nBoris,boris@example.org,judge\n'
    with app.test_request_context():
        rows = parse_roster(data).rows
        assert [row.line for row in rows] == [2]
        assert texts(rows[0])[0] == (
            "This row runs on to line 3: check for a quotation mark that is not closed."
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name;email\nA;a@example.org\n", "Missing: profession."),
        (b"", "The file is empty."),
        ("name,email,profession\n".encode("utf-16"), "not a CSV text file"),
        (b"name,email,profession\n\x98\n", "neither UTF-8 nor Windows-1251"),
        (b"x" * (MAX_ROSTER_BYTES + 1), "larger than 2 MB"),
    ],
    ids=["missing-column", "empty", "utf16", "undecodable", "too-large"],
)
def test_unreadable_files_are_refused_with_a_reason(app, data, message):
    with app.test_request_context(), pytest.raises(RosterError) as error:
        parse_roster(data)
    assert message in str(error.value)


def make_cohort(name="Тверь, весна") -> Cohort:
    cohort = Cohort(name=name, region="Тверь")
    db.session.add(cohort)
    db.session.flush()
    return cohort


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_plan_sorts_rows_and_writes_nothing(app, make_user):
    existing = make_user(email="maria@example.org", profession=Profession.JUDGE)
    trainer = make_user(role=Role.TRAINER, email="petr@example.org")
    with app.test_request_context():
        cohort = make_cohort()
        users_before = count(User)
        plan = plan_enrolment(parse_roster(ROSTER.encode()).rows, cohort)
        assert [row.email for row in plan.create] == ["ivan@example.org"]
        # A trainer's plan looks the same for every existing account, whatever its role.
        assert [(row.email, user.id) for row, user in plan.enrol] == [
            ("maria@example.org", existing.id),
            ("petr@example.org", trainer.id),
        ]
        assert (plan.invalid, plan.direct) == ([], False)
        assert (count(User), count(CohortMember)) == (users_before, 0)


def test_an_admins_plan_enrols_learners_and_names_staff_accounts(app, make_user):
    existing = make_user(email="maria@example.org", profession=Profession.JUDGE)
    make_user(role=Role.TRAINER, email="petr@example.org")
    with app.test_request_context():
        plan = plan_enrolment(parse_roster(ROSTER.encode()).rows, make_cohort(), direct=True)
        assert [user.id for _row, user in plan.enrol] == [existing.id]
        assert [texts(row) for row in plan.invalid] == [
            ["This email belongs to a trainer or administrator account."]
        ]
        apply_enrolment(plan)
        assert all(m.accepted_at is not None for m in db.session.scalars(select(CohortMember)))


def membership(user_id) -> CohortMember:
    return db.session.scalar(select(CohortMember).where(CohortMember.user_id == user_id))


def test_a_trainers_enrolment_invites_existing_accounts_and_grants_nothing(app, make_user):
    from trainer.learning.cohort_queries import cohort_learners, taught_learner_ids
    from trainer.policy import teaches

    existing = make_user(email="maria@example.org", profession=Profession.JUDGE)
    staff = make_user(role=Role.ADMIN, email="petr@example.org")
    teacher = make_user(role=Role.TRAINER, email="teacher@example.org")
    with app.test_request_context():
        cohort = make_cohort()
        cohort.trainers = [db.session.get(User, teacher.id)]
        result = apply_enrolment(plan_enrolment(parse_roster(ROSTER.encode()).rows, cohort))
        db.session.commit()
        assert [u.email for u in result.created] == ["ivan@example.org"]
        ivan = result.created[0]
        assert membership(ivan.id).accepted_at is not None  # created for this cohort
        assert membership(existing.id).pending and membership(staff.id).pending
        trainer_user = db.session.get(User, teacher.id)
        taught = set(db.session.scalars(taught_learner_ids(trainer_user)))
        assert taught == {ivan.id}
        assert not teaches(trainer_user, existing.id) and teaches(trainer_user, ivan.id)
        assert [row.id for row in cohort_learners(cohort.id)] == [ivan.id]


def test_applying_the_same_file_twice_changes_nothing_the_second_time(app):
    with app.test_request_context():
        cohort = make_cohort()
        rows = lambda: parse_roster(ROSTER.encode("cp1251")).rows  # noqa: E731
        first = apply_enrolment(plan_enrolment(rows(), cohort))
        db.session.commit()
        assert (len(first.created), len(first.enrolled)) == (3, 0)
        snapshot = (count(User), count(CohortMember))
        again = plan_enrolment(rows(), cohort)
        assert (again.create, again.enrol, len(again.present)) == ([], [], 3)
        second = apply_enrolment(again)
        db.session.commit()
        assert (second.created, second.enrolled) == ([], [])
        assert (count(User), count(CohortMember)) == snapshot


def test_created_accounts_cannot_sign_in_until_activated(app):
    from trainer.accounts import authenticate

    with app.test_request_context():
        apply_enrolment(plan_enrolment(parse_roster(ROSTER.encode()).rows, make_cohort()))
        db.session.commit()
        user = db.session.scalar(select(User).where(User.email == "ivan@example.org"))
        assert (user.role, user.profession, user.locale) == (Role.LEARNER, Profession.POLICE, "ru")
        assert user.search_key == "иван кузнецов ivan@example.org"
        assert user.password_hash.startswith("!")
        assert authenticate("ivan@example.org", user.password_hash) is None
        assert authenticate("ivan@example.org", "") is None


def test_a_removed_member_in_the_file_is_invited_again_on_the_same_row(app, make_user):
    learner = make_user(email="maria@example.org")
    with app.test_request_context():
        cohort = make_cohort()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=learner.id, removed_at=utcnow()))
        db.session.flush()
        plan = plan_enrolment(parse_roster(ROSTER.encode()).rows, cohort)
        assert [user.id for _row, user in plan.enrol] == [learner.id]
        apply_enrolment(plan)
        member = membership(learner.id)
        assert member.removed_at is None and member.pending  # they left: they choose again
        assert count(CohortMember) == 3


def test_an_address_typed_across_keyboard_layouts_is_named_on_its_line(app):
    data = (
        "name,email,profession\n"
        "Ivan,ivаn@example.org,police\n"  # a Cyrillic "а" in a Latin word
        "Иван,иван@почта.рф,police\n"  # wholly Cyrillic: a real address
        "Olga,olga@exаmple.org,judge\n"  # the slip in the domain
        "Пётр,petr.иванов@example.org,judge\n"  # each word in one script
    ).encode()
    with app.test_request_context():
        problems = {row.line: texts(row) for row in parse_roster(data).rows}
    assert problems[2] == [
        "“ivаn” mixes Latin and Cyrillic letters: check the keyboard layout and type the address "
        "again."
    ]
    assert problems[3] == [] and problems[5] == []
    assert problems[4][0].startswith("“exаmple” mixes Latin and Cyrillic letters")
