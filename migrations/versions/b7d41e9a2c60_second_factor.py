"""second factor and sign-in history: TOTP secrets, recovery-code hashes, remembered-device
keys; every sign-in and failed attempt of a tenant user

Revision ID: b7d41e9a2c60
Revises: 9d4e6b2a7c15
Create Date: 2026-12-03 08:20:00.000000

``second_factor`` holds residents' and staff members' factors (a tenant table with the RLS
policy); ``operator_second_factor`` the operators' (a platform table, like ``operator``).
``sign_in_event`` is the residents' and staff's sign-in history (a tenant table).
"""
import sqlalchemy as sa
from alembic import op

from iok_saas.tenancy import rls

revision = 'b7d41e9a2c60'
down_revision = '9d4e6b2a7c15'
branch_labels = None
depends_on = None


def _factor_columns() -> list[sa.Column]:
    return [
        sa.Column('secret', sa.String(length=64), nullable=True),
        sa.Column('pending_secret', sa.String(length=64), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.Column('recovery_hashes', sa.JSON(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('device_key', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade():
    op.create_table(
        'second_factor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_kind', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        *_factor_columns(),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_second_factor_tenant_id_tenant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor')),
        sa.UniqueConstraint('tenant_id', 'user_kind', 'user_id',
                            name=op.f('uq_second_factor_tenant_id_user_kind_user_id')),
    )
    with op.batch_alter_table('second_factor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_factor_tenant_id'), ['tenant_id'],
                              unique=False)
    op.create_table(
        'operator_second_factor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        *_factor_columns(),
        sa.ForeignKeyConstraint(['operator_id'], ['operator.id'],
                                name=op.f('fk_operator_second_factor_operator_id_operator'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_second_factor')),
        sa.UniqueConstraint('operator_id', name=op.f('uq_operator_second_factor_operator_id')),
    )
    op.create_table(
        'sign_in_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_kind', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=300), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_sign_in_event_tenant_id_tenant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_event')),
    )
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_event_user',
                              ['tenant_id', 'user_kind', 'user_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_event_tenant_id'), ['tenant_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('second_factor', 'sign_in_event'):
            for statement in rls.enable_statements(table):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_event_tenant_id'))
        batch_op.drop_index('ix_sign_in_event_user')
    op.drop_table('sign_in_event')
    op.drop_table('operator_second_factor')
    with op.batch_alter_table('second_factor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_factor_tenant_id'))
    op.drop_table('second_factor')
