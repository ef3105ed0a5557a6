"""initial schema"""

import sqlalchemy as sa

from chassis.migrations import create_chassis_tables_v1, create_table, drop_chassis_tables_v1, drop_tables, ids, stamps

revision, down_revision = "0001", None


def upgrade() -> None:
    create_chassis_tables_v1()
    create_table(
        "guardian_links",
        *ids("student_id", "guardian_id", "school_id"),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
    )
    create_table(
        "known_students",
        *ids("student_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
    )
    create_table(
        "notifications",
        *ids("notification_id", "guardian_id", "school_id", "student_id", "event_id"),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *stamps("created_at"),
        sa.PrimaryKeyConstraint("notification_id"),
        sa.UniqueConstraint("event_id", "guardian_id", name="uq_notification_per_event_and_guardian"),
        indexes=[("ix_notifications_guardian_created", "guardian_id", "created_at")],
    )


def downgrade() -> None:
    drop_tables("notifications", "known_students", "guardian_links")
    drop_chassis_tables_v1()
