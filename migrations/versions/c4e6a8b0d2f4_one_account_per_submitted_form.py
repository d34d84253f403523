"""one account per submitted form

A double click on "Register" (or an admin's "New user") made the account once, and the second
answer said "An account with this email already exists". The account now keeps the one-use
token of the form that made it (trainer/submissions.py), unique, so that the same form sent again
finds the account and answers as the first submission did. Accounts made before, and those no
form made (the command line, a roster), have none (NULL: any number of them).

Revision ID: c4e6a8b0d2f4
Revises: b3d5f7a9c1e2
Create Date: 2026-12-03 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f4'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_users_submission_token'), ['submission_token']
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')
