"""homework domain: copies of enrollment and attendance facts, assignments, plans, completions"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    create_table(
        "assignments",
        *ids("assignment_id", "school_id", "class_id", "teacher_id", "school_subject"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("layer", sa.String(length=16), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("counted_minutes", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("after_plan_published", sa.Boolean(), nullable=False),
        *stamps("created_at", "updated_at"),
        sa.PrimaryKeyConstraint("assignment_id"),
        indexes=[("ix_assignments_class_on", "class_id", "day")],
    )
    op.create_table(
        "class_days",
        *ids("class_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("school_id"),
        sa.Column("over_cap_rule", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("class_id", "day"),
    )
    create_table(
        "classes",
        *ids("class_id", "school_id"),
        sa.Column("grade", sa.Integer(), nullable=False),
        *ids("class_teacher_id", nullable=True),
        sa.PrimaryKeyConstraint("class_id"),
        indexes=["school_id"],
    )
    create_table(
        "completions",
        *ids("assignment_id", "student_id", "school_id", "class_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("actual_minutes", sa.Integer(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        *ids("recorded_by"),
        *stamps("recorded_at"),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        *ids("graded_by", nullable=True),
        *stamps("graded_at", nullable=True),
        sa.PrimaryKeyConstraint("assignment_id", "student_id"),
        indexes=[("ix_completions_class_on", "class_id", "day"), "student_id"],
    )
    op.create_table(
        "guardian_links",
        *ids("student_id", "guardian_id", "school_id"),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
    )
    op.create_table(
        "policy_profiles",
        *ids("school_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "presences",
        *ids("student_id"),
        sa.Column("session_date", sa.Date(), nullable=False),
        *ids("school_id"),
        sa.PrimaryKeyConstraint("student_id", "session_date"),
    )
    create_table(
        "struggling_students",
        *ids("student_id", "school_id", "class_id"),
        sa.Column("struggles", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        *stamps("flagged_at"),
        sa.PrimaryKeyConstraint("student_id"),
        indexes=["class_id"],
    )
    create_table(
        "students",
        *ids("student_id", "school_id"),
        *ids("class_id", nullable=True),
        sa.PrimaryKeyConstraint("student_id"),
        indexes=["class_id"],
    )
    op.create_table(
        "teachings",
        *ids("class_id", "staff_id", "school_subject", "school_id"),
        sa.PrimaryKeyConstraint("class_id", "staff_id", "school_subject"),
    )
    create_table(
        "term_calendars",
        *ids("term_id", "school_id"),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term_id"),
        indexes=["school_id"],
    )
    op.create_table(
        "weekly_plans",
        *ids("class_id"),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *ids("plan_id", "school_id"),
        sa.Column("assignment_ids", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        *ids("published_by"),
        *stamps("published_at"),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("class_id", "week_start", "version"),
        sa.UniqueConstraint("plan_id"),
    )


def downgrade() -> None:
    drop_tables(
        "weekly_plans",
        "term_calendars",
        "teachings",
        "students",
        "struggling_students",
        "presences",
        "policy_profiles",
        "guardian_links",
        "completions",
        "classes",
        "class_days",
        "assignments",
    )
