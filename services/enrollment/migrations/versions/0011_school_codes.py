"""issue 11: the school's own code of terms, bands, rooms, staff, programs, waivers and applications, unique per school"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0011", "0010"

_KEYS = {
    "terms": "term_id",
    "grade_bands": "band_id",
    "rooms": "room_id",
    "staff_members": "staff_id",
    "programs": "program_id",
    "fee_waivers": "waiver_id",
    "applications": "application_id",
}


def upgrade() -> None:
    for table, key in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        # Rows made before ids were scoped per school were stored under the code the school gave them; keep it as
        # their code so a second create with it is still a 409 and the code still names them.
        op.execute(f"UPDATE {table} SET external_id = {key}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(f"uq_{table}_school_external", ["school_id", "external_id"])


def downgrade() -> None:
    for table in reversed(_KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_school_external", type_="unique")
            batch_op.drop_column("external_id")
