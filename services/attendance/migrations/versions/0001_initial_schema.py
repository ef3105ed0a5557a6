"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_chassis_tables_v1, drop_chassis_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_chassis_tables_v1()
    op.create_table(
        "check_ins",
        sa.Column("check_in_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("session_date", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("check_in_id"),
        sa.UniqueConstraint("school_id", "device_id", "student_id", "occurred_at", name="uq_check_in_device_event"),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index("ix_check_ins_school_date", ["school_id", "session_date"], unique=False)

    op.create_table(
        "roster_students",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
    )
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_students_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_students_school_id"))

    op.drop_table("roster_students")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_check_ins_school_date")

    op.drop_table("check_ins")
    drop_chassis_tables_v1()
