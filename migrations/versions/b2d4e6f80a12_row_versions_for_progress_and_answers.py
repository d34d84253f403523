"""row versions for progress and quiz answers

Progress rows and quiz answers carry a version that every update bumps and checks, so that two
requests of one learner at once cannot overwrite each other (trainer/transactions.py), and a
quiz page can say which revision of an answer it showed.

Revision ID: b2d4e6f80a12
Revises: a1c0ffee0011
Create Date: 2026-12-03 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2d4e6f80a12'
down_revision = 'a1c0ffee0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.drop_column('revision')
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_column('row_version')
