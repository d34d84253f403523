"""one row per submitted form

A double click, or a POST sent again on a slow network, made two cohorts, two invite codes, two
class sessions. Each creating form now carries a one-use token (trainer/submissions.py); the
row it creates keeps it in submission_token, unique, so that the same form sent again finds that
row instead of making another. Rows made before, and rows no form made, have none (NULL: any
number of them).

Revision ID: 4178613c4d90
Revises: e8a0c2d4f6b8
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4178613c4d90'
down_revision = 'e8a0c2d4f6b8'
branch_labels = None
depends_on = None

TABLES = ('cohorts', 'invite_codes', 'class_sessions')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(
                batch_op.f(f'uq_{table}_submission_token'), ['submission_token']
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_submission_token'), type_='unique')
            batch_op.drop_column('submission_token')
