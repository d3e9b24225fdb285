"""activation codes: enrolment without an office visit (issue 18 §2)

Revision ID: a7c3e9d1f2b4
Revises: cf8a3578076f
Create Date: 2026-12-03 12:50:00.000000

"""
from alembic import op

from iok_saas.tenancy import rls
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f2b4'
down_revision = "cf8a3578076f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activation_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=4), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_nonce', sa.String(length=32), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['resident_account.id'], name=op.f('fk_activation_code_account_id_resident_account')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_activation_code_person_id_person')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_activation_code_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_activation_code_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_code')),
    sa.UniqueConstraint('tenant_id', 'code_hash', name=op.f('uq_activation_code_tenant_id_code_hash'))
    )
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_code_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_code_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_activation_code_tenant_state', ['tenant_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_code_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_code_unit_id'), ['unit_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        for statement in rls.enable_statements('activation_code'):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_code_unit_id'))
        batch_op.drop_index(batch_op.f('ix_activation_code_tenant_id'))
        batch_op.drop_index('ix_activation_code_tenant_state')
        batch_op.drop_index(batch_op.f('ix_activation_code_person_id'))
        batch_op.drop_index(batch_op.f('ix_activation_code_batch'))

    op.drop_table('activation_code')
