"""The dashboard's body is kept while the cohort's change stamp is the same
(trainer/cohorts/dashboard_cache.py): every kind of change shows on the next load, and a
reload with no change is served from what was kept, the same page."""

# The cohort fixtures of test_cohorts are imported, and named again as arguments.
# ruff: noqa: F811

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.conftest import sql_statements
from tests.web.test_cohorts import (  # noqa: F401  (fixtures)
    attention_cohort,
    names,
    statements_during,
    stats,
    trainer,
    trainer_client,
)
from trainer.cohorts import views
from trainer.extensions import db
from trainer.learning.progress import record_quiz_result, start
from trainer.models import Assignment, Cohort, CohortMember, Module, Profession, User
from trainer.models.types import utcnow

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def load(app, client, cohort_id, query="") -> tuple[str, bool]:
    """The page, and whether its body was kept from an earlier load (then no learner's
    progress is read: only the body's making reads the percent done)."""
    statements, response = statements_during(app, client, f"/cohorts/{cohort_id}/{query}")
    kept = not any("progress.percent" in statement for statement in statements)
    return CSRF.sub("", response.text), kept


def warm(app, client, cohort_id, query="") -> str:
    """Load twice: the second load is served from the kept body and shows the same page."""
    first, _kept = load(app, client, cohort_id, query)
    again, kept = load(app, client, cohort_id, query)
    assert kept and again == first
    return first


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def change(app, edit) -> None:
    with app.app_context():
        edit()
        db.session.commit()


def test_a_reload_with_no_change_is_kept_and_each_address_has_its_own(
    app, attention_cohort, trainer_client
):
    cohort_id, module_id = attention_cohort
    page = warm(app, trainer_client, cohort_id)
    assert names(page) == ["Анна Котова", "Борис Лебедев", "Вера Ёлкина", "Глеб Орлов"]
    overdue = warm(app, trainer_client, cohort_id, "?status=overdue")
    assert names(overdue) == ["Борис Лебедев", "Вера Ёлкина", "Глеб Орлов"]
    by_module = warm(app, trainer_client, cohort_id, f"?sort=m{module_id}&dir=desc")
    assert names(by_module)[0] == "Анна Котова"
    # The first address is still kept beside the others.
    assert load(app, trainer_client, cohort_id) == (page, True)


def test_progress_shows_on_the_next_load(app, attention_cohort, trainer_client):
    cohort_id, _module_id = attention_cohort
    assert stats(warm(app, trainer_client, cohort_id))["not_started"] == 1
    vera = user_id(app, "vera@example.org")

    def begin():
        module = db.session.scalar(select(Module))
        record_quiz_result(start(db.session.get(User, vera), module), "check", 55, passed=True)

    change(app, begin)
    page, kept = load(app, trainer_client, cohort_id)
    assert not kept
    assert stats(page)["not_started"] == 0 and stats(page)["in_progress"] == 3


def test_a_second_failed_attempt_flags_the_learner_on_the_next_load(
    app, attention_cohort, trainer_client
):
    cohort_id, _module_id = attention_cohort
    vera = user_id(app, "vera@example.org")

    def fail():
        module = db.session.scalar(select(Module))
        record_quiz_result(start(db.session.get(User, vera), module), "check", 20, passed=False)

    change(app, fail)
    assert stats(warm(app, trainer_client, cohort_id))["failed_twice"] == 1
    change(app, fail)  # through the learner's progress row, as a submission records it
    page, _kept = load(app, trainer_client, cohort_id)
    assert stats(page)["failed_twice"] == 2
    vera_row = page[page.index("Вера Ёлкина") :].split("</tr>")[0]
    assert "failed a quiz twice" in vera_row


def test_new_removed_and_accepted_members_show_on_the_next_load(
    app, make_user, attention_cohort, trainer_client
):
    cohort_id, _module_id = attention_cohort
    warm(app, trainer_client, cohort_id)
    newcomer = make_user(name="Алла Новикова", email="alla@example.org")
    change(app, lambda: db.session.add(CohortMember(cohort_id=cohort_id, user_id=newcomer.id)))
    page = warm(app, trainer_client, cohort_id)
    assert names(page)[0] == "Алла Новикова" and len(names(page)) == 5

    vera = user_id(app, "vera@example.org")
    member = select(CohortMember).where(CohortMember.user_id == vera)
    change(app, lambda: setattr(db.session.scalar(member), "removed_at", utcnow()))
    page = warm(app, trainer_client, cohort_id)
    assert "Вера Ёлкина" not in names(page) and stats(page)["not_started"] == 1  # Алла

    dina = user_id(app, "dina@example.org")
    invitation = select(CohortMember).where(CohortMember.user_id == dina)
    change(app, lambda: setattr(db.session.scalar(invitation), "accepted_at", utcnow()))
    page, _kept = load(app, trainer_client, cohort_id)
    assert "Дина Пак" in names(page) and stats(page)["failed_twice"] == 2


def test_a_renamed_learner_and_a_new_profession_show_on_the_next_load(
    app, attention_cohort, trainer_client
):
    cohort_id, _module_id = attention_cohort
    warm(app, trainer_client, cohort_id)
    warm(app, trainer_client, cohort_id, "?profession=judge")
    anna = user_id(app, "anna@example.org")
    change(app, lambda: setattr(db.session.get(User, anna), "name", "Яна Котова"))
    page, _kept = load(app, trainer_client, cohort_id)
    assert names(page) == ["Борис Лебедев", "Вера Ёлкина", "Глеб Орлов", "Яна Котова"]
    found = warm(app, trainer_client, cohort_id, "?q=%D1%8F%D0%BD%D0%B0")  # "яна"
    assert names(found) == ["Яна Котова"]

    change(app, lambda: setattr(db.session.get(User, anna), "profession", Profession.JUDGE))
    judges, _kept = load(app, trainer_client, cohort_id, "?profession=judge")
    assert names(judges) == ["Глеб Орлов", "Яна Котова"]
    change(app, lambda: setattr(db.session.get(User, anna), "email", "yana@example.org"))
    found, _kept = load(app, trainer_client, cohort_id, "?q=yana")
    assert names(found) == ["Яна Котова"]


def test_a_changed_due_date_and_the_next_day_show_on_the_next_load(
    app, attention_cohort, trainer_client, monkeypatch
):
    cohort_id, _module_id = attention_cohort
    assert stats(warm(app, trainer_client, cohort_id))["overdue"] == 3
    # Due tomorrow in UTC: not past in any time zone of the reader.
    due = utcnow().date() + timedelta(days=1)
    assignment = select(Assignment).where(Assignment.cohort_id == cohort_id)
    change(app, lambda: setattr(db.session.scalar(assignment), "due_on", due))
    page = warm(app, trainer_client, cohort_id)
    assert stats(page)["overdue"] == 0
    assert "due " in page and "past" not in page.split('class="matrix"')[1].split("</thead>")[0]

    later = utcnow() + timedelta(days=3)  # past the due date in any time zone
    monkeypatch.setattr(views, "utcnow", lambda: later)
    page, kept = load(app, trainer_client, cohort_id)
    assert not kept and stats(page)["overdue"] == 3


def test_the_language_and_the_cohort_start_are_part_of_the_key(
    app, attention_cohort, trainer, trainer_client
):
    cohort_id, _module_id = attention_cohort
    english = warm(app, trainer_client, cohort_id)
    assert "All learners" in english
    change(app, lambda: setattr(db.session.get(User, trainer.id), "locale", "ru"))
    russian, kept = load(app, trainer_client, cohort_id)
    assert not kept and "Все слушатели" in russian

    start = utcnow().date() - timedelta(days=40)
    change(app, lambda: setattr(db.session.get(Cohort, cohort_id), "starts_on", start))
    page, kept = load(app, trainer_client, cohort_id)
    assert not kept and page != russian


def test_a_change_while_the_body_is_made_is_not_kept(
    app, attention_cohort, trainer_client, monkeypatch
):
    """A change committed between the stamp's read and the body's (here a rename, by another
    connection) keeps nothing: else, once renamed back, the stamp would be the same again
    and the page would show the name between."""
    cohort_id, _module_id = attention_cohort
    anna = user_id(app, "anna@example.org")
    made = views.dashboard_body

    def rename(name):
        with app.app_context(), db.engine.begin() as other:
            statement = text("UPDATE users SET name = :name WHERE id = :id")
            other.execute(statement, {"name": name, "id": anna})

    def changed_then_made(cohort):
        rename("Анна Другая")
        return made(cohort)

    monkeypatch.setattr(views, "dashboard_body", changed_then_made)
    page, _kept = load(app, trainer_client, cohort_id)
    assert "Анна Другая" in names(page)
    monkeypatch.setattr(views, "dashboard_body", made)
    rename("Анна Котова")
    page, _kept = load(app, trainer_client, cohort_id)
    assert "Анна Котова" in names(page) and "Анна Другая" not in page


def test_the_stamp_reads_indexes_alone_on_sqlite(app, attention_cohort):
    """On SQLite the stamp reads the members' standing and their progress rows' versions
    from the indexes made for it, not from the tables."""
    from trainer.learning.dashboard_stamp import dashboard_stamp

    cohort_id, _module_id = attention_cohort
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan")
        db.session.execute(text("ANALYZE"))
        with sql_statements(app, with_parameters=True) as sent:
            dashboard_stamp(cohort_id)
        statement, parameters = sent[-1]
        cursor = db.session.connection().connection.cursor()
        plan = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    details = " | ".join(row[-1] for row in plan)
    assert "COVERING INDEX ix_progress_user_module_status" in details, details
    assert "COVERING INDEX ix_cohort_members_cohort_standing" in details, details
