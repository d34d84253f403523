"""`flask db upgrade` builds the schema from nothing, and it matches the models exactly."""

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
