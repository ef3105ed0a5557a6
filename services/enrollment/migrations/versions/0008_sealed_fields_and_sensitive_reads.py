"""PIPL: ID numbers sealed at rest need room; the append-only sensitive-read log

The values themselves are sealed by the service at start (chassis.crypto.reseal), which holds the key: a
migration never sees it.
"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import ids, stamps

revision, down_revision = "0008", "0007"

# One statement per execute: asyncpg prepares each, and a prepared statement holds one command.
APPEND_ONLY = (
    """CREATE FUNCTION sensitive_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'sensitive_reads is append-only (PIPL access log)';
    END $$""",
    """CREATE TRIGGER sensitive_reads_append_only BEFORE UPDATE OR DELETE ON sensitive_reads
    FOR EACH ROW EXECUTE FUNCTION sensitive_reads_append_only()""",
)


def upgrade() -> None:
    with op.batch_alter_table("pickup_persons") as batch:
        batch.alter_column("id_number", type_=sa.Text(), existing_type=sa.String(length=32), existing_nullable=True)
    op.create_table(
        "sensitive_reads",
        sa.Column("read_id", sa.String(length=36), nullable=False),
        *ids("school_id", "student_id", "reader_id"),
        sa.Column("reader_role", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        *stamps("read_at"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("read_id"),
    )
    op.create_index("ix_sensitive_reads_school_at", "sensitive_reads", ["school_id", "read_at", "read_id"])
    op.create_index("ix_sensitive_reads_student_id", "sensitive_reads", ["student_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sensitive_reads_append_only ON sensitive_reads")
        op.execute("DROP FUNCTION sensitive_reads_append_only()")
    op.drop_table("sensitive_reads")
    with op.batch_alter_table("pickup_persons") as batch:
        batch.alter_column("id_number", type_=sa.String(length=32), existing_type=sa.Text(), existing_nullable=True)
