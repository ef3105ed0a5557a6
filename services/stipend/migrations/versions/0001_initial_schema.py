"""initial schema"""

import sqlalchemy as sa

from chassis.migrations import create_chassis_tables_v1, create_table, drop_chassis_tables_v1, drop_tables, ids, stamps

revision, down_revision = "0001", None


def upgrade() -> None:
    create_chassis_tables_v1()
    create_table(
        "attended_sessions",
        *ids("student_id"),
        sa.Column("session_date", sa.String(length=10), nullable=False),
        *ids("school_id"),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        *ids("first_check_in_id", "first_event_id"),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("student_id", "session_date"),
        indexes=[("ix_attended_school_month", "school_id", "month")],
    )


def downgrade() -> None:
    drop_tables("attended_sessions")
    drop_chassis_tables_v1()
