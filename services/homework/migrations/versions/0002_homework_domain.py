"""homework domain: copies of enrollment and attendance facts, assignments, plans, completions

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("teacher_id", sa.String(length=64), nullable=False),
        sa.Column("school_subject", sa.String(length=64), nullable=False),
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_class_on", ["class_id", "day"], unique=False)

    op.create_table(
        "class_days",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("over_cap_rule", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("class_id", "day"),
    )
    op.create_table(
        "classes",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("class_teacher_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("class_id"),
    )
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classes_school_id"), ["school_id"], unique=False)

    op.create_table(
        "completions",
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("actual_minutes", sa.Integer(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("graded_by", sa.String(length=64), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("assignment_id", "student_id"),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index("ix_completions_class_on", ["class_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_completions_student_id"), ["student_id"], unique=False)

    op.create_table(
        "guardian_links",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("guardian_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
    )
    op.create_table(
        "policy_profiles",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "presences",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "session_date"),
    )
    op.create_table(
        "struggling_students",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("struggles", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
    )
    with op.batch_alter_table("struggling_students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_struggling_students_class_id"), ["class_id"], unique=False)

    op.create_table(
        "students",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("student_id"),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_students_class_id"), ["class_id"], unique=False)

    op.create_table(
        "teachings",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_subject", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("class_id", "staff_id", "school_subject"),
    )
    op.create_table(
        "term_calendars",
        sa.Column("term_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term_id"),
    )
    with op.batch_alter_table("term_calendars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_calendars_school_id"), ["school_id"], unique=False)

    op.create_table(
        "weekly_plans",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("assignment_ids", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("class_id", "week_start", "version"),
        sa.UniqueConstraint("plan_id"),
    )


def downgrade() -> None:
    op.drop_table("weekly_plans")
    with op.batch_alter_table("term_calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_calendars_school_id"))

    op.drop_table("term_calendars")
    op.drop_table("teachings")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_students_class_id"))

    op.drop_table("students")
    with op.batch_alter_table("struggling_students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_struggling_students_class_id"))

    op.drop_table("struggling_students")
    op.drop_table("presences")
    op.drop_table("policy_profiles")
    op.drop_table("guardian_links")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completions_student_id"))
        batch_op.drop_index("ix_completions_class_on")

    op.drop_table("completions")
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classes_school_id"))

    op.drop_table("classes")
    op.drop_table("class_days")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_class_on")

    op.drop_table("assignments")
