"""resident_account.failures_reset_at: failed logins before it no longer count

Revision ID: b5d1e9c3a7f2
Revises: f4b8d2a6c913
Create Date: 2026-12-03 08:40:00.000000

A successful recovery or unlock resets the failed-login counter (policy language v2); the
attempts themselves stay in login_attempt for the record and the personal-data export.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b5d1e9c3a7f2'
down_revision = 'f4b8d2a6c913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resident_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures_reset_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('resident_account', schema=None) as batch_op:
        batch_op.drop_column('failures_reset_at')
