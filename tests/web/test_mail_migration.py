"""c3e5f7091b23: accounts that exist before email verification count as verified."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from trainer.extensions import db


def test_existing_accounts_count_as_verified(make_app):
    app = make_app(create_schema=False)
    with app.app_context():
        upgrade(revision="b2d4e6f80a12")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, role, profession,"
                    " active, session_version, search_key, created_at) VALUES"
                    " (1, 'u1@example.org', 'X', '!', 'learner', 'judge', :yes, 1, '',"
                    " '2026-01-01 00:00:00+00:00')"
                ),
                {"yes": True},
            )
        upgrade(revision="c3e5f7091b23")
        with db.engine.connect() as connection:
            verified = connection.execute(
                text("SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL")
            ).scalar()
        assert verified == 1
        downgrade(revision="b2d4e6f80a12")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"reminders_sent", "cohort_mailings"} & tables
        columns = {c["name"] for c in inspect(db.engine).get_columns("users")}
        assert "email_verified_at" not in columns
