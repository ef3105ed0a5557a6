"""initial schema"""

import sqlalchemy as sa

from chassis.migrations import create_chassis_tables_v1, create_table, drop_chassis_tables_v1, drop_tables, ids, stamps

revision, down_revision = "0001", None


def upgrade() -> None:
    create_chassis_tables_v1()
    create_table(
        "check_ins",
        *ids("check_in_id", "school_id", "student_id"),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        *stamps("occurred_at", "recorded_at"),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("session_date", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("check_in_id"),
        sa.UniqueConstraint("school_id", "device_id", "student_id", "occurred_at", name="uq_check_in_device_event"),
        indexes=[("ix_check_ins_school_date", "school_id", "session_date")],
    )
    create_table(
        "roster_students",
        *ids("student_id", "school_id", "class_id"),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
        indexes=["school_id"],
    )


def downgrade() -> None:
    drop_tables("roster_students", "check_ins")
    drop_chassis_tables_v1()
