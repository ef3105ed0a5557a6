"""pickup people, restrictions, walk-home permission, external ids, import jobs"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0003", "0002"

_EXTERNAL = ("classes", "students", "guardians")
_KEYS = {"classes": "class_id", "students": "student_id", "guardians": "guardian_id"}


def upgrade() -> None:
    for table in _EXTERNAL:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        # Rows made before imports existed are known to the school by the id it gave them.
        op.execute(f"UPDATE {table} SET external_id = {_KEYS[table]}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(f"uq_{table}_school_external", ["school_id", "external_id"])
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority_groups", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("status", sa.String(length=8), nullable=False, server_default="active"))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_students_class_id", ["class_id"], unique=False)

    create_table(
        "pickup_persons",
        *ids("person_id", "school_id", "student_id", "external_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("credential_ref", sa.String(length=128), nullable=True),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        *ids("guardian_id", nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("person_id"),
        sa.UniqueConstraint("student_id", "external_id", name="uq_pickup_persons_student_external"),
        indexes=["school_id"],
    )
    op.create_table(
        "walk_home_permissions",
        *ids("student_id", "school_id"),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        *ids("guardian_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        *ids("set_by"),
        *stamps("set_at"),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("student_id"),
    )
    create_table(
        "import_jobs",
        *ids("job_id", "school_id"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        *ids("created_by"),
        *stamps("created_at"),
        *stamps("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("job_id"),
        indexes=["school_id"],
    )


def downgrade() -> None:
    drop_tables("import_jobs", "walk_home_permissions", "pickup_persons")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_class_id")
        batch_op.drop_column("left_on")
        batch_op.drop_column("status")
        batch_op.drop_column("priority_groups")
    for table in reversed(_EXTERNAL):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_school_external", type_="unique")
            batch_op.drop_column("external_id")
