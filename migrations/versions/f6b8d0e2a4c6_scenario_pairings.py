"""scenario pairings

A trainer's link, in a cohort, from a learner's runs of an importing scenario (a judge's
hearing) to another member's finished run of its source scenario (an officer's call).

Revision ID: f6b8d0e2a4c6
Revises: e5a7c9d1f3b5
Create Date: 2026-12-03 02:10:00

"""
from alembic import op
import sqlalchemy as sa

import trainer.models.types


# revision identifiers, used by Alembic.
revision = 'f6b8d0e2a4c6'
down_revision = 'e5a7c9d1f3b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scenario_pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('importer_id', sa.Integer(), nullable=False),
    sa.Column('source_run_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', trainer.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_scenario_pairings_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scenario_pairings_created_by_id_users')),
    sa.ForeignKeyConstraint(['importer_id'], ['users.id'], name=op.f('fk_scenario_pairings_importer_id_users')),
    sa.ForeignKeyConstraint(['source_run_id'], ['scenario_runs.id'], name=op.f('fk_scenario_pairings_source_run_id_scenario_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_pairings'))
    )
    with op.batch_alter_table('scenario_pairings', schema=None) as batch_op:
        batch_op.create_index('ix_scenario_pairings_importer', ['importer_id', 'cohort_id'], unique=False)


def downgrade():
    with op.batch_alter_table('scenario_pairings', schema=None) as batch_op:
        batch_op.drop_index('ix_scenario_pairings_importer')

    op.drop_table('scenario_pairings')
