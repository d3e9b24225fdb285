"""e-mail address changes waiting for the new address to be confirmed

Revision ID: e5a19c3f7b20
Revises: a7c3e9d1f2b4
Create Date: 2026-12-03 13:00:00.000000

``email_change`` is a resident's request to use a new e-mail address (a tenant table with
the RLS policy): the confirmation link's token as SHA-256, both addresses, expiry, and when
it was confirmed or voided.
"""
import sqlalchemy as sa
from alembic import op

from iok_saas.tenancy import rls

revision = 'e5a19c3f7b20'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'email_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('old_email', sa.String(length=254), nullable=True),
        sa.Column('new_email', sa.String(length=254), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['resident_account.id'],
                                name=op.f('fk_email_change_account_id_resident_account')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_email_change_tenant_id_tenant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_change')),
        sa.UniqueConstraint('tenant_id', 'token_hash',
                            name=op.f('uq_email_change_tenant_id_token_hash')),
    )
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_change_account_id'), ['account_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_email_change_tenant_id'), ['tenant_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in rls.enable_statements('email_change'):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_change_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_email_change_account_id'))
    op.drop_table('email_change')
