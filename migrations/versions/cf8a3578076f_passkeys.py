"""passkeys: residents' and staff members' WebAuthn credentials (a tenant table), the
operators' (a platform table), and the single-use ceremony challenges (a platform table)

Revision ID: cf8a3578076f
Revises: d26880674652
Create Date: 2026-12-03 13:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

from iok_saas.tenancy import rls

revision = 'cf8a3578076f'
down_revision = 'd26880674652'
branch_labels = None
depends_on = None


def _passkey_columns() -> list[sa.Column]:
    return [
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=2048), nullable=False),
        sa.Column('sign_count', sa.BigInteger(), nullable=False),
        sa.Column('transports', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade():
    op.create_table(
        'passkey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_kind', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
        *_passkey_columns(),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_passkey_tenant_id_tenant'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey')),
        sa.UniqueConstraint('tenant_id', 'credential_id',
                            name=op.f('uq_passkey_tenant_id_credential_id')),
    )
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.create_index('ix_passkey_user', ['tenant_id', 'user_kind', 'user_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_passkey_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'operator_passkey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
        *_passkey_columns(),
        sa.ForeignKeyConstraint(['operator_id'], ['operator.id'],
                                name=op.f('fk_operator_passkey_operator_id_operator'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_passkey')),
        sa.UniqueConstraint('credential_id', name=op.f('uq_operator_passkey_credential_id')),
    )
    with op.batch_alter_table('operator_passkey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_passkey_operator_id'), ['operator_id'],
                              unique=False)
    op.create_table(
        'passkey_challenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('challenge', sa.String(length=100), nullable=False),
        sa.Column('site', sa.String(length=40), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('user_key', sa.String(length=40), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey_challenge')),
        sa.UniqueConstraint('challenge', name=op.f('uq_passkey_challenge_challenge')),
    )
    with op.batch_alter_table('passkey_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_challenge_expires_at'), ['expires_at'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in rls.enable_statements('passkey'):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table('passkey_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_challenge_expires_at'))
    op.drop_table('passkey_challenge')
    with op.batch_alter_table('operator_passkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_passkey_operator_id'))
    op.drop_table('operator_passkey')
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_tenant_id'))
        batch_op.drop_index('ix_passkey_user')
    op.drop_table('passkey')
