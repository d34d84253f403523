"""reminders and email verification

Reminders and digests sent (so that `flask reminders send` never sends one twice), the
invitations and activation links emailed from a cohort's members page, and when an account's
email was verified. Every account that exists already counts as verified (since it was made).

Revision ID: c3e5f7091b23
Revises: b2d4e6f80a12
Create Date: 2026-12-03 01:41:50.851020

"""
from alembic import op
import sqlalchemy as sa

import trainer.models.types


# revision identifiers, used by Alembic.
revision = 'c3e5f7091b23'
down_revision = 'b2d4e6f80a12'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('sent_at', trainer.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminders_sent_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('user_id', 'kind', 'ref', name=op.f('uq_reminders_sent_user_id_kind_ref'))
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_user_id'), ['user_id'], unique=False)

    op.create_table('cohort_mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sent_at', trainer.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_mailings_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_cohort_mailings_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_mailings')),
    sa.UniqueConstraint('cohort_id', 'email', 'kind', name=op.f('uq_cohort_mailings_cohort_id_email_kind'))
    )
    with op.batch_alter_table('cohort_mailings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_mailings_cohort_id'), ['cohort_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', trainer.models.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('cohort_mailings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_mailings_cohort_id'))

    op.drop_table('cohort_mailings')
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_user_id'))

    op.drop_table('reminders_sent')
