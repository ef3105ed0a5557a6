"""staff sign-in, activity records, patrol findings, incidents, regular-class attendance"""

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0004", "0003"

SESSION_ID = sa.String(length=160)
NOTE = sa.String(length=2000)


def upgrade() -> None:
    create_table(
        "teacher_sign_ins",
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("staff_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *stamps("signed_in_at", nullable=True),
        sa.Column("minutes_late", sa.Integer(), nullable=False),
        *ids("decided_by"),
        *stamps("decided_at"),
        sa.PrimaryKeyConstraint("session_id", "staff_id"),
        indexes=[("ix_teacher_sign_ins_school_day", "school_id", "day")],
    )
    create_table(
        "activity_records",
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("staff_id", "record_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("content", NOTE, nullable=False),
        sa.Column("student_ids", sa.JSON(), nullable=False),
        sa.Column("effect", NOTE, nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        *stamps("filed_at"),
        sa.PrimaryKeyConstraint("session_id", "staff_id"),
        sa.UniqueConstraint("record_id"),
        indexes=["school_id"],
    )
    create_table(
        "patrols",
        *ids("patrol_id"),
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("staff_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("duty_leader_id"),
        sa.Column("teacher_present", sa.Boolean(), nullable=False),
        sa.Column("activity_running", sa.Boolean(), nullable=False),
        sa.Column("rules_followed", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("deduction", sa.Integer(), nullable=False),
        sa.Column("note", NOTE, nullable=True),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("patrol_id"),
        indexes=[("ix_patrols_session", "session_id"), "school_id"],
    )
    create_table(
        "staff_incidents",
        *ids("incident_id"),
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("staff_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        *ids("reported_by"),
        sa.Column("note", NOTE, nullable=True),
        *stamps("reported_at"),
        sa.PrimaryKeyConstraint("incident_id"),
        indexes=[("ix_staff_incidents_session", "session_id"), "school_id"],
    )
    create_table(
        "school_day_marks",
        *ids("student_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("school_id", "class_id"),
        sa.Column("status", sa.String(length=16), nullable=False),
        *ids("recorded_by"),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("student_id", "day"),
        indexes=[("ix_school_day_marks_class_day", "class_id", "day"), "school_id"],
    )
    create_table(
        "missing_from_session_alerts",
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("student_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("class_id", nullable=True),
        *stamps("alerted_at"),
        sa.PrimaryKeyConstraint("session_id", "student_id"),
        indexes=[("ix_missing_alerts_school_day", "school_id", "day")],
    )
    create_table(
        "school_districts",
        *ids("school_id", "district_id"),
        sa.PrimaryKeyConstraint("school_id"),
        indexes=["district_id"],
    )


def downgrade() -> None:
    drop_tables(
        "school_districts",
        "missing_from_session_alerts",
        "school_day_marks",
        "staff_incidents",
        "patrols",
        "activity_records",
        "teacher_sign_ins",
    )
