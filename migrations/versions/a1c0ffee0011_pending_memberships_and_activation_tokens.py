"""pending memberships and activation tokens

Memberships gain accepted_at (pending while NULL; every existing membership becomes accepted
as of its joined_at), cohorts the professions their invite codes register, and imported
accounts are activated through one-time tokens stored hashed.

Revision ID: a1c0ffee0011
Revises: e74091031381
Create Date: 2026-12-03 01:01:51.569507

"""
from alembic import op
import sqlalchemy as sa

import trainer.models.types


# revision identifiers, used by Alembic.
revision = 'a1c0ffee0011'
down_revision = 'e74091031381'
branch_labels = None
depends_on = None

PROFESSIONS = ["police", "judge", "prosecutor", "social_worker", "crisis_centre", "other"]

cohorts = sa.table("cohorts", sa.column("id", sa.Integer), sa.column("professions", sa.JSON))
members = sa.table(
    "cohort_members",
    sa.column("cohort_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("joined_at", trainer.models.types.UTCDateTime(timezone=True)),
    sa.column("removed_at", trainer.models.types.UTCDateTime(timezone=True)),
    sa.column("accepted_at", trainer.models.types.UTCDateTime(timezone=True)),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("profession", sa.String))


def upgrade():
    op.create_table('activation_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', trainer.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', trainer.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', trainer.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activation_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activation_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_activation_tokens_token_hash'))
    )
    with op.batch_alter_table('activation_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_tokens_user_id'), ['user_id'], unique=False)

    op.add_column('cohort_members', sa.Column('accepted_at', trainer.models.types.UTCDateTime(timezone=True), nullable=True))
    # Every membership so far was made before invitations existed: it stays in force.
    op.execute(members.update().values(accepted_at=members.c.joined_at))

    # Plain ADD/DROP COLUMN, no batch: on SQLite a batch copy of `cohorts` would drop a table
    # that other tables' foreign keys point at.
    op.add_column('cohorts', sa.Column('professions', sa.JSON(), server_default='[]', nullable=False))
    fill_cohort_professions()


def fill_cohort_professions():
    """A cohort trains the professions of its current members (every one when it has none)."""
    connection = op.get_bind()
    found = {}
    rows = connection.execute(
        sa.select(members.c.cohort_id, users.c.profession)
        .join(users, users.c.id == members.c.user_id)
        .where(members.c.removed_at.is_(None))
        .distinct()
    )
    for cohort_id, profession in rows:
        found.setdefault(cohort_id, set()).add(profession)
    for (cohort_id,) in connection.execute(sa.select(cohorts.c.id)).all():
        chosen = [p for p in PROFESSIONS if p in found.get(cohort_id, PROFESSIONS)]
        connection.execute(
            cohorts.update().where(cohorts.c.id == cohort_id).values(professions=chosen)
        )


def downgrade():
    op.drop_column('cohorts', 'professions')

    # A pending invitation was never a membership: it goes with the column.
    op.execute(members.delete().where(members.c.accepted_at.is_(None)))
    op.drop_column('cohort_members', 'accepted_at')

    with op.batch_alter_table('activation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_tokens_user_id'))

    op.drop_table('activation_tokens')
