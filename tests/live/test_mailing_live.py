"""A mailing form sent ten times at once, against gunicorn (two processes of four threads) and
a real SMTP server: each address gets one message, and the cohort one invite code."""

from sqlalchemy import func, select

from tests.live.conftest import Browser, gunicorn
from tests.live.test_double_submit_live import at_once
from tests.live.test_parallel import statuses
from tests.web.test_cohorts import make_cohort
from tests.web.test_invitation_mail import tokens
from trainer.extensions import db
from trainer.models import InviteCode, Profession, Role


def test_invitations_sent_ten_times_at_once_go_once(app, make_user, smtp_server, tmp_path):
    trainer = make_user(role=Role.TRAINER, profession=Profession.OTHER)
    cohort_id = make_cohort(app, [trainer.id])
    mail = {"TRAINER_MAIL_SERVER": "127.0.0.1", "TRAINER_MAIL_PORT": str(smtp_server.port)}
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log", **mail) as base:
        browser = Browser(base)
        browser.sign_in(trainer.email)
        status, page = browser.request(f"/cohorts/{cohort_id}/members")
        assert status == 200, page
        data = {
            "addresses": "anna@example.org, boris@example.org",
            "code": "new",
            "locale": "ru",
            "submission": tokens(page)[0],
        }

        answers = at_once(browser, f"/cohorts/{cohort_id}/invitations/email", data)

    assert statuses(answers) == {302: len(answers)}
    assert len(smtp_server.inbox.to("anna@example.org")) == 1
    assert len(smtp_server.inbox.to("boris@example.org")) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InviteCode)) == 1
