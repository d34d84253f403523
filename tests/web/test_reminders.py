"""`flask reminders send` against a real SMTP server: due-date reminders in the learner's
language, once per assignment and threshold; the trainers' weekly digest, once per ISO week;
a server that is down records nothing as sent."""

from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from tests.conftest import sync_example
from tests.mail_support import SMTPServer, links, smtp_settings, text_part
from tests.web.test_cohorts import assign, make_cohort
from trainer.extensions import db
from trainer.learning.enrolment import enrol_users
from trainer.learning.reminders import due_kind, iso_week
from trainer.models import (
    AttemptState,
    Module,
    Progress,
    QuizAttempt,
    ReminderSent,
    Role,
    Status,
    User,
)
from trainer.models.types import utcnow

TODAY = date(2026, 12, 1)  # a Tuesday, ISO week 2026-W49


def subject(message) -> str:
    """The decoded subject (a long encoded one is folded onto a continuation line)."""
    return " ".join(str(message["Subject"]).split())

def run(app, *args):
    return app.test_cli_runner().invoke(args=["reminders", "send", "--today", *args])


def sent_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ReminderSent.id)))


def complete(app, user_id: int) -> None:
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        db.session.add(
            Progress(user_id=user_id, module_id=module.id, status=Status.COMPLETED,
                     module_version_id=module.latest_version_id, percent=100, completed_at=utcnow())
        )  # fmt: skip
        db.session.commit()


def fail_quiz(app, user_id: int, times: int) -> None:
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        for number in range(1, times + 1):
            db.session.add(
                QuizAttempt(user_id=user_id, module_id=module.id, number=number,
                            module_version_id=module.latest_version_id, quiz_id="check",
                            questions=[], state=AttemptState.GRADED, submitted_at=utcnow(),
                            graded_at=utcnow(), score=0, max_score=10, percent=0, passed=False)
            )  # fmt: skip
        db.session.commit()


def people(make_user):
    return {
        "trainer": make_user(role=Role.TRAINER, email="trainer@example.org", locale="en"),
        "ru": make_user(email="ru@example.org", name="Анна Смирнова", locale="ru"),
        "en": make_user(email="en@example.org", name="Anna Smith", locale="en"),
        "done": make_user(email="done@example.org"),
        "invited": make_user(email="invited@example.org"),
        "unverified": make_user(email="unverified@example.org"),
    }


def setup_cohorts(app, who):
    """Cohort A (due in two days): ru, done, unverified, and invited (pending); cohort B
    (overdue since yesterday): en. The trainer runs both."""
    sync_example(app)
    trainer = who["trainer"].id
    soon = make_cohort(app, [trainer], [who[k].id for k in ("ru", "done", "unverified")],
                       name="Тверь")  # fmt: skip
    late = make_cohort(app, [trainer], [who["en"].id], name="Kazan")
    assign(app, soon, due_on=TODAY + timedelta(days=2))
    assign(app, late, due_on=TODAY - timedelta(days=1))
    complete(app, who["done"].id)
    with app.app_context():
        enrol_users(soon, [who["invited"].id], accepted=False)
        db.session.get(User, who["unverified"].id).email_verified_at = None
        db.session.commit()
    return soon, late


def test_reminders_go_once_per_assignment_and_threshold(mail_app, smtp_server, make_user):
    who = people(make_user)
    setup_cohorts(mail_app, who)
    result = run(mail_app, str(TODAY), "--days", "3", "--no-digests")
    assert result.exit_code == 0, result.output
    assert "2 reminder(s)" in result.output
    recipients = {m["To"] for m in smtp_server.messages}
    assert recipients == {"ru@example.org", "en@example.org"}  # not done, invited, unverified

    [russian] = smtp_server.inbox.to("ru@example.org")
    assert subject(russian) == "Скоро срок обучения"
    assert "3 дек" in text_part(russian) and "Тверь" in text_part(russian)
    assert "Продолжить обучение можно здесь:" in text_part(russian)  # the text part too
    [english] = smtp_server.inbox.to("en@example.org")
    assert subject(english) == "Your training is overdue"
    assert "was due on Nov 30, 2026" in text_part(english)
    assert english.get_body(preferencelist=("html",)) is not None
    link = next(url for url in links(english) if "/learn/my" in url)
    assert urlsplit(link).path == "/learn/my"

    # Again the same day, or with the same threshold: nothing new.
    smtp_server.inbox.clear()
    again = run(mail_app, str(TODAY), "--days", "3", "--no-digests")
    assert again.exit_code == 0 and "0 reminder(s)" in again.output
    assert smtp_server.messages == []

    # Three days later the first assignment is overdue: one more reminder, to its learner only.
    later = run(mail_app, str(TODAY + timedelta(days=3)), "--days", "3", "--no-digests")
    assert "1 reminder(s)" in later.output
    [overdue] = smtp_server.messages
    assert overdue["To"] == "ru@example.org" and subject(overdue) == "Обучение просрочено"


def test_a_new_due_date_is_reminded_again(mail_app, smtp_server, make_user):
    who = people(make_user)
    soon, _late = setup_cohorts(mail_app, who)
    run(mail_app, str(TODAY), "--no-digests")
    smtp_server.inbox.clear()
    with mail_app.app_context():
        from trainer.models import Assignment

        assignment = db.session.scalar(select(Assignment).where(Assignment.cohort_id == soon))
        assignment.due_on = TODAY + timedelta(days=1)
        db.session.commit()
    run(mail_app, str(TODAY), "--no-digests")
    assert [m["To"] for m in smtp_server.messages] == ["ru@example.org"]


def test_the_weekly_digest_goes_once_a_week(mail_app, smtp_server, make_user):
    who = people(make_user)
    setup_cohorts(mail_app, who)
    fail_quiz(mail_app, who["ru"].id, 2)
    result = run(mail_app, str(TODAY))
    assert "1 digest(s)" in result.output, result.output
    [digest] = smtp_server.inbox.to("trainer@example.org")
    assert subject(digest) == "Your cohorts this week"
    body = text_part(digest)
    assert "2026-W49" in body
    assert "Kazan" in body and "Anna Smith" in body  # overdue
    assert "Failed a quiz twice" in body and "Анна Смирнова" in body and "2 failed attempts" in body
    assert any("/cohorts/" in url for url in links(digest))

    smtp_server.inbox.clear()
    run(mail_app, str(TODAY + timedelta(days=5)))  # Sunday of the same week
    assert smtp_server.inbox.to("trainer@example.org") == []
    run(mail_app, str(TODAY + timedelta(days=6)))  # Monday: a new week
    assert len(smtp_server.inbox.to("trainer@example.org")) == 1


def test_no_digest_when_nothing_to_report(mail_app, smtp_server, make_user):
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    learner = make_user(email="ok@example.org")
    sync_example(mail_app)
    assign(mail_app, make_cohort(mail_app, [trainer.id], [learner.id]),
           due_on=TODAY + timedelta(days=30))  # fmt: skip
    result = run(mail_app, str(TODAY))
    assert "0 reminder(s) and 0 digest(s)" in result.output
    assert smtp_server.messages == [] and sent_count(mail_app) == 0


def test_mail_server_down_records_nothing(make_app, make_user):
    server = SMTPServer()  # its port is chosen, nothing listens there yet
    app = make_app(**smtp_settings(server.port))
    who = people(make_user)
    setup_cohorts(app, who)
    result = run(app, str(TODAY))
    assert result.exit_code != 0
    assert "the mail server failed" in result.output
    assert sent_count(app) == 0
    server.start()  # the server is back: everything is sent then, once
    try:
        result = run(app, str(TODAY))
        assert result.exit_code == 0 and "2 reminder(s) and 1 digest(s)" in result.output
        assert sent_count(app) == 3 and len(server.messages) == 3
        assert "0 reminder(s) and 0 digest(s)" in run(app, str(TODAY)).output
    finally:
        server.stop()


def test_due_kinds_and_weeks():
    assert due_kind(TODAY - timedelta(days=1), TODAY, 3) == "overdue"
    assert due_kind(TODAY, TODAY, 3) == "due:3"
    assert due_kind(TODAY + timedelta(days=3), TODAY, 3) == "due:3"
    assert due_kind(TODAY + timedelta(days=4), TODAY, 3) is None
    assert iso_week(TODAY) == "2026-W49"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_a_large_cohort_digest_lists_the_first_rows():
    from trainer.learning.reminders import DIGEST_ROWS, CohortDigest

    rows = [("Имя", {"ru": "М", "en": "M"}, TODAY)] * (DIGEST_ROWS + 10)
    digest = CohortDigest(cohort=None, overdue=rows)
    assert len(digest.overdue_shown) == DIGEST_ROWS and digest.more == 10
    assert CohortDigest(cohort=None).empty
