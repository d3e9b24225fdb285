"""every key between tenant tables is co-located: (tenant_id, x_id) -> x(tenant_id, id)

Revision ID: f3a9c7e1d054
Revises: e8c3a5f20b71
Create Date: 2026-12-05 13:00:00.000000

Each single-column key x_id -> x(id) between tenant tables becomes (tenant_id, x_id) ->
x(tenant_id, id), as the ledger's key to its unit already is: the database itself refuses a
row that points into another tenant, and the key is one Citus accepts between co-located
tables (``flask db distribution-check``). The parents get the unique (tenant_id, id) such a
key refers to; a fault's one photo is unique per (tenant_id, fault_id). The tables' own keys
to `tenant` stay.
"""
from alembic import op

revision = 'f3a9c7e1d054'
down_revision = 'e8c3a5f20b71'
branch_labels = None
depends_on = None

PARENTS = ("association", "person", "resident_account", "announcement", "fault_report",
           "meter", "document", "vote", "elector", "charge_notice", "outbox_message")
# table -> [(column, parent)]
KEYS = {
    "unit": [("association_id", "association")],
    "title": [("person_id", "person"), ("unit_id", "unit")],
    "resident_account": [("person_id", "person")],
    "account_block": [("account_id", "resident_account")],
    "announcement_target": [("announcement_id", "announcement"),
                            ("association_id", "association")],
    "application": [("person_id", "person"), ("account_id", "resident_account")],
    "contact_correction": [("account_id", "resident_account"), ("person_id", "person")],
    "fault_report": [("unit_id", "unit"), ("account_id", "resident_account")],
    "fault_event": [("fault_id", "fault_report")],
    "fault_photo": [("fault_id", "fault_report")],
    "charge_schedule": [("unit_id", "unit")],
    "meter": [("unit_id", "unit")],
    "meter_reading": [("meter_id", "meter"), ("submitted_by_account_id", "resident_account")],
    "occupants_change": [("unit_id", "unit"), ("account_id", "resident_account")],
    "membership": [("person_id", "person")],
    "court_case": [("unit_id", "unit")],
    "land_cost": [("unit_id", "unit")],
    "service_charge": [("unit_id", "unit")],
    "document": [("association_id", "association")],
    "document_version": [("document_id", "document")],
    "document_visit": [("account_id", "resident_account")],
    "unit_share": [("unit_id", "unit")],
    "vote": [("association_id", "association")],
    "vote_attachment": [("vote_id", "vote"), ("document_id", "document")],
    "elector": [("vote_id", "vote"), ("unit_id", "unit"), ("person_id", "person")],
    "ballot": [("vote_id", "vote"), ("elector_id", "elector"), ("person_id", "person")],
    "ballot_event": [("vote_id", "vote"), ("elector_id", "elector")],
    "notice_consent": [("account_id", "resident_account")],
    "charge_notice": [("unit_id", "unit")],
    "charge_notice_line": [("notice_id", "charge_notice")],
    "notice_delivery": [("notice_id", "charge_notice"), ("account_id", "resident_account"),
                        ("outbox_message_id", "outbox_message")],
    "outbox_attachment": [("message_id", "outbox_message")],
    "activation_code": [("unit_id", "unit"), ("person_id", "person"),
                        ("account_id", "resident_account")],
    "email_change": [("account_id", "resident_account")],
}


def upgrade():
    for parent in PARENTS:
        with op.batch_alter_table(parent, schema=None) as batch_op:
            batch_op.create_unique_constraint(f'uq_{parent}_tenant_id_id', ['tenant_id', 'id'])
    with op.batch_alter_table('fault_photo', schema=None) as batch_op:
        batch_op.drop_constraint('uq_fault_photo_fault_id', type_='unique')
        batch_op.create_unique_constraint('uq_fault_photo_tenant_id_fault_id',
                                          ['tenant_id', 'fault_id'])
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, parent in keys:
                batch_op.drop_constraint(f'fk_{table}_{column}_{parent}', type_='foreignkey')
                batch_op.create_foreign_key(f'fk_{table}_tenant_id_{parent}', parent,
                                            ['tenant_id', column], ['tenant_id', 'id'])


def downgrade():
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, parent in keys:
                batch_op.drop_constraint(f'fk_{table}_tenant_id_{parent}', type_='foreignkey')
                batch_op.create_foreign_key(f'fk_{table}_{column}_{parent}', parent,
                                            [column], ['id'])
    with op.batch_alter_table('fault_photo', schema=None) as batch_op:
        batch_op.drop_constraint('uq_fault_photo_tenant_id_fault_id', type_='unique')
        batch_op.create_unique_constraint('uq_fault_photo_fault_id', ['fault_id'])
    for parent in PARENTS:
        with op.batch_alter_table(parent, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{parent}_tenant_id_id', type_='unique')
