"""mailing submissions

A mailing form (a cohort's invitations, activation links) sent twice, by a double click or at
once, sent every message twice, and a second activation link made the first one's stop working.
Each mailing form's one-use token (trainer/submissions.py) is now written here before any
message goes; the same form sent again finds it and sends nothing.

Revision ID: b3d5f7a9c1e2
Revises: 4178613c4d90
Create Date: 2026-12-03 15:50:00

"""
from alembic import op
import sqlalchemy as sa

from trainer.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = '4178613c4d90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mailing_submissions',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('submitted_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_mailing_submissions_user_id_users')),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_mailing_submissions')),
    )
    with op.batch_alter_table('mailing_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailing_submissions_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('mailing_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailing_submissions_user_id'))
    op.drop_table('mailing_submissions')
