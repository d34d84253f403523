"""class sessions counting toward the participants' progress

A trainer may count a live session toward its participants' progress: when the room reaches an
ending, each signed-in participant who voted at every decision gets a finished run of the
scenario with the room's path and score. class_sessions.counts_progress is that choice,
counted_at when the runs were recorded (once); class_participants.run_id the run recorded.

Revision ID: b3c5d7e9f1a2
Revises: d7e9f1a3b5c7
Create Date: 2026-12-03 06:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c5d7e9f1a2'
down_revision = 'd7e9f1a3b5c7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('counts_progress', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('class_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_class_participants_run_id_scenario_runs'),
            'scenario_runs', ['run_id'], ['id'],
        )


def downgrade():
    with op.batch_alter_table('class_participants', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_class_participants_run_id_scenario_runs'), type_='foreignkey'
        )
        batch_op.drop_column('run_id')
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.drop_column('counted_at')
        batch_op.drop_column('counts_progress')
