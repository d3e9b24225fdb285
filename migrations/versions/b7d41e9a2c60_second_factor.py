"""second factor: TOTP secrets, recovery-code hashes and remembered-device keys

Revision ID: b7d41e9a2c60
Revises: f4b8d2a6c913
Create Date: 2026-12-03 08:40:00.000000

``second_factor`` holds residents' and staff members' factors (a tenant table with the RLS
policy); ``operator_second_factor`` the operators' (a platform table, like ``operator``).
"""
import sqlalchemy as sa
from alembic import op

from iok_saas.tenancy import rls

revision = 'b7d41e9a2c60'
down_revision = 'f4b8d2a6c913'
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
    if op.get_bind().dialect.name == 'postgresql':
        for statement in rls.enable_statements('second_factor'):
            op.execute(statement)


def downgrade():
    op.drop_table('operator_second_factor')
    with op.batch_alter_table('second_factor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_factor_tenant_id'))
    op.drop_table('second_factor')
