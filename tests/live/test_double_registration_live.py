"""Ten submissions of one registration form at once, against gunicorn (two processes of four
threads): one account, one email asking to confirm the address, and every answer signs the
person in and leads to the same page; on SQLite and on PostgreSQL."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.live.conftest import CSRF, Browser, gunicorn
from tests.web.test_double_submit import TOKEN
from trainer.extensions import db
from trainer.models import User

AT_ONCE = 10


def test_ten_registrations_of_one_form_at_once_make_one_account_and_send_one_mail(app, tmp_path):
    outbox = tmp_path / "outbox"
    settings = {"TRAINER_OPEN_REGISTRATION": "1", "TRAINER_OUTBOX_DIR": str(outbox)}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn(url, tmp_path / "gunicorn.log", **settings) as base:
        visitor = Browser(base)
        status, page = visitor.request("/register")
        assert status == 200, page
        visitor.token = CSRF.search(page).group(1)
        data = {"name": "Новый Человек", "email": "new@example.org", "profession": "police",
                "locale": "ru", "password": PASSWORD, "confirm": PASSWORD,
                "submission": TOKEN.search(page).group(1)}  # fmt: skip

        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            answers = list(pool.map(lambda _n: visitor.request("/register", data), range(AT_ONCE)))

        # A redirect's body names its target: one target, "My training", for all ten.
        assert Counter(status for status, _page in answers) == {302: AT_ONCE}, answers[0]
        assert {page for _status, page in answers} == {answers[0][1]}
        assert "/learn/my" in answers[0][1]
        status, page = visitor.request("/learn/my")
        assert status == 200 and "new@example.org" in page  # signed in
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1
    assert len(list(Path(outbox).glob("*.eml"))) == 1
