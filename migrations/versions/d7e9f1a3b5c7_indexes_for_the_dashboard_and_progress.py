"""indexes for the dashboard and progress reads

Checked with EXPLAIN (ANALYZE) on PostgreSQL with `flask demo --learners 10000` (load/explain.py):
the quiz results of learning events (partial: a few percent of the rows) for the dashboard's
"failed a quiz twice"; progress by learner and module covering the status (and id) for the
dashboard's per-member facts; cohort memberships by learner for "My training" and pinned
versions.

Revision ID: d7e9f1a3b5c7
Revises: 55611b440613
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e9f1a3b5c7'
down_revision = '55611b440613'
branch_labels = None
depends_on = None

QUIZ_RESULTS = "verb IN ('passed', 'failed')"


def upgrade():
    with op.batch_alter_table('learning_events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_learning_events_quiz_results', ['user_id', 'module_version_id', 'object_id'],
            unique=False, postgresql_where=sa.text(QUIZ_RESULTS), sqlite_where=sa.text(QUIZ_RESULTS),
        )
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.create_index(
            'ix_progress_user_module_status', ['user_id', 'module_id', 'status'],
            unique=False, postgresql_include=['id'],
        )
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_members_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_members_user_id')
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_user_module_status')
    with op.batch_alter_table('learning_events', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_events_quiz_results')
