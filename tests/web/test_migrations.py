"""`flask db upgrade` builds the schema from nothing, and it matches the models exactly."""

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from trainer.extensions import db


def test_upgrade_on_an_empty_database_matches_the_models(make_app):
    app = make_app(create_schema=False)
    with app.app_context():
        upgrade()
        assert {"users", "invite_codes"} <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert drift == [], f"models and migrations differ; run `flask db migrate`: {drift}"


def test_downgrade_removes_everything(make_app):
    app = make_app(create_schema=False)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_existing_memberships_stay_accepted_and_cohorts_get_their_professions(make_app):
    """a1c0ffee0011: memberships made before invitations existed keep their authority; a
    cohort's invite codes register the professions of its members (all when it has none)."""
    from sqlalchemy import text

    app = make_app(create_schema=False)
    with app.app_context():
        upgrade(revision="e74091031381")
        with db.engine.begin() as connection:
            for n, profession in ((1, "judge"), (2, "prosecutor")):
                connection.execute(
                    text(
                        "INSERT INTO users (id, email, name, password_hash, role, profession,"
                        " active, session_version, search_key, created_at) VALUES"
                        " (:id, :email, 'X', '!', 'learner', :profession, :yes, 1, '',"
                        " '2026-01-01 00:00:00+00:00')"
                    ),
                    {"id": n, "email": f"u{n}@example.org", "profession": profession, "yes": True},
                )
            for cohort_id in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO cohorts (id, name, region, created_at) VALUES"
                        " (:id, 'C', '', '2026-01-01 00:00:00+00:00')"
                    ),
                    {"id": cohort_id},
                )
            connection.execute(
                text(
                    "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES"
                    " (1, 1, '2026-02-01 00:00:00+00:00'), (1, 2, '2026-02-02 00:00:00+00:00')"
                )
            )
        upgrade(revision="a1c0ffee0011")
        with db.engine.connect() as connection:
            accepted = connection.execute(
                text("SELECT COUNT(*) FROM cohort_members WHERE accepted_at IS NOT NULL")
            ).scalar()
            professions = dict(
                connection.execute(text("SELECT id, professions FROM cohorts")).all()
            )
        assert accepted == 2
        loaded = {k: v if isinstance(v, list) else json.loads(v) for k, v in professions.items()}
        assert loaded[1] == ["judge", "prosecutor"]
        assert loaded[2] == ["police", "judge", "prosecutor", "social_worker", "crisis_centre",
                             "other"]  # fmt: skip
        downgrade(revision="e74091031381")
        assert "professions" not in {c["name"] for c in inspect(db.engine).get_columns("cohorts")}
