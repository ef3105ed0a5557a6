"""pickup people, restrictions, walk-home permission, external ids, import jobs

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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

    op.create_table(
        "pickup_persons",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("credential_ref", sa.String(length=128), nullable=True),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("guardian_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("person_id"),
        sa.UniqueConstraint("student_id", "external_id", name="uq_pickup_persons_student_external"),
    )
    with op.batch_alter_table("pickup_persons", schema=None) as batch_op:
        batch_op.create_index("ix_pickup_persons_school_id", ["school_id"], unique=False)

    op.create_table(
        "walk_home_permissions",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("guardian_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("student_id"),
    )

    op.create_table(
        "import_jobs",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job_id"),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_import_jobs_school_id", ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_jobs_school_id")
    op.drop_table("import_jobs")
    op.drop_table("walk_home_permissions")
    with op.batch_alter_table("pickup_persons", schema=None) as batch_op:
        batch_op.drop_index("ix_pickup_persons_school_id")
    op.drop_table("pickup_persons")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_class_id")
        batch_op.drop_column("left_on")
        batch_op.drop_column("status")
        batch_op.drop_column("priority_groups")
    for table in reversed(_EXTERNAL):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_school_external", type_="unique")
            batch_op.drop_column("external_id")
