"""staff sign-in, activity records, patrol findings, incidents, regular-class attendance

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teacher_sign_ins",
        sa.Column("session_id", sa.String(length=160), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes_late", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "staff_id"),
    )
    with op.batch_alter_table("teacher_sign_ins", schema=None) as batch_op:
        batch_op.create_index("ix_teacher_sign_ins_school_day", ["school_id", "day"], unique=False)

    op.create_table(
        "activity_records",
        sa.Column("session_id", sa.String(length=160), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("content", sa.String(length=2000), nullable=False),
        sa.Column("student_ids", sa.JSON(), nullable=False),
        sa.Column("effect", sa.String(length=2000), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "staff_id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_records_school_id"), ["school_id"], unique=False)

    op.create_table(
        "patrols",
        sa.Column("patrol_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=160), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("duty_leader_id", sa.String(length=64), nullable=False),
        sa.Column("teacher_present", sa.Boolean(), nullable=False),
        sa.Column("activity_running", sa.Boolean(), nullable=False),
        sa.Column("rules_followed", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("deduction", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("patrol_id"),
    )
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.create_index("ix_patrols_session", ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrols_school_id"), ["school_id"], unique=False)

    op.create_table(
        "staff_incidents",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=160), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    with op.batch_alter_table("staff_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_staff_incidents_session", ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_incidents_school_id"), ["school_id"], unique=False)

    op.create_table(
        "school_day_marks",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "day"),
    )
    with op.batch_alter_table("school_day_marks", schema=None) as batch_op:
        batch_op.create_index("ix_school_day_marks_class_day", ["class_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_day_marks_school_id"), ["school_id"], unique=False)

    op.create_table(
        "missing_from_session_alerts",
        sa.Column("session_id", sa.String(length=160), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "student_id"),
    )
    with op.batch_alter_table("missing_from_session_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_missing_alerts_school_day", ["school_id", "day"], unique=False)

    op.create_table(
        "school_districts",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
    )
    with op.batch_alter_table("school_districts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_districts_district_id"), ["district_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("school_districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_districts_district_id"))
    op.drop_table("school_districts")
    with op.batch_alter_table("missing_from_session_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_missing_alerts_school_day")
    op.drop_table("missing_from_session_alerts")
    with op.batch_alter_table("school_day_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_day_marks_school_id"))
        batch_op.drop_index("ix_school_day_marks_class_day")
    op.drop_table("school_day_marks")
    with op.batch_alter_table("staff_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_incidents_school_id"))
        batch_op.drop_index("ix_staff_incidents_session")
    op.drop_table("staff_incidents")
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrols_school_id"))
        batch_op.drop_index("ix_patrols_session")
    op.drop_table("patrols")
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_records_school_id"))
    op.drop_table("activity_records")
    with op.batch_alter_table("teacher_sign_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_teacher_sign_ins_school_day")
    op.drop_table("teacher_sign_ins")
