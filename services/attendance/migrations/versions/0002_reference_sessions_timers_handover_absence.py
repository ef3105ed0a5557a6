"""reference copies of enrollment data, sessions, due timers, handover, leave and absence

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

ID = sa.String(length=64)
STAMP = sa.DateTime(timezone=True)


def _reference() -> None:
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_roster_students_class_id", ["class_id"], unique=False)
    op.create_table(
        "ref_classes",
        sa.Column("class_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("teacher_id", ID, nullable=True, index=True),
    )
    op.create_table(
        "ref_guardians",
        sa.Column("student_id", ID, primary_key=True),
        sa.Column("guardian_id", ID, primary_key=True, index=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
    )
    op.create_table(
        "ref_pickup_persons",
        sa.Column("student_id", ID, primary_key=True),
        sa.Column("person_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=True),
        sa.Column("credential_ref", sa.String(length=128), nullable=True),
        sa.Column("guardian_id", ID, nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "ref_walk_home",
        sa.Column("student_id", ID, primary_key=True),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("guardian_id", ID, nullable=False),
    )
    op.create_table(
        "ref_policies",
        sa.Column("school_id", ID, primary_key=True),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
    )
    op.create_table(
        "ref_terms",
        sa.Column("term_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
    )
    op.create_table(
        "ref_rooms",
        sa.Column("room_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("is_reception", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "ref_staff",
        sa.Column("staff_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "ref_grade_bands",
        sa.Column("band_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("grades", sa.JSON(), nullable=False),
    )
    op.create_table(
        "ref_programs",
        sa.Column("program_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("term_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("room_id", ID, nullable=True),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("min_grade", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.Integer(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "ref_club_places",
        sa.Column("program_id", ID, primary_key=True),
        sa.Column("student_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "ref_enrollments",
        sa.Column("application_id", ID, primary_key=True),
        sa.Column("student_id", ID, nullable=False, index=True),
        sa.Column("school_id", ID, nullable=False, index=True),
        sa.Column("term_id", ID, nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
    )


def _timers() -> None:
    op.create_table(
        "due_timers",
        sa.Column("kind", ID, primary_key=True),
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("due_at", STAMP, nullable=False, index=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fired_at", STAMP, nullable=True),
        sa.Column("cancelled_at", STAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
    )
    op.create_table(
        "opened_days",
        sa.Column("school_id", ID, primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("opened_at", STAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "reference_versions",
        sa.Column("school_id", ID, primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def _handover_and_absence() -> None:
    op.create_table(
        "handovers",
        sa.Column("handover_id", sa.String(length=200), primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("session_id", sa.String(length=120), nullable=False),
        sa.Column("class_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("given_by", ID, nullable=False),
        sa.Column("given_at", STAMP, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("on_leave_student_ids", sa.JSON(), nullable=False),
        sa.Column("student_ids", sa.JSON(), nullable=True),
        sa.Column("acknowledged_by", ID, nullable=True),
        sa.Column("acknowledged_at", STAMP, nullable=True),
        sa.Column("acknowledged_count", sa.Integer(), nullable=True),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.Index("ix_handovers_school_session", "school_id", "session_id"),
    )
    op.create_table(
        "handover_discrepancies",
        sa.Column("discrepancy_id", sa.String(length=220), primary_key=True),
        sa.Column("handover_id", sa.String(length=200), nullable=False, index=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("session_id", sa.String(length=120), nullable=False),
        sa.Column("class_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("missing_student_ids", sa.JSON(), nullable=False),
        sa.Column("opened_at", STAMP, nullable=False),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("resolved_at", STAMP, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Index("ix_handover_discrepancies_school_open", "school_id", "resolved_at"),
    )
    op.create_table(
        "leave_requests",
        sa.Column("leave_id", ID, primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("student_id", ID, nullable=False, index=True),
        sa.Column("class_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_id", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        sa.Column("requested_at", STAMP, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", STAMP, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Index("ix_leave_requests_school_day", "school_id", "day"),
    )
    op.create_table(
        "absence_cases",
        sa.Column("case_id", sa.String(length=200), primary_key=True),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("student_id", ID, nullable=False),
        sa.Column("class_id", ID, nullable=False),
        sa.Column("session_id", sa.String(length=120), nullable=False),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_starts_at", STAMP, nullable=False),
        sa.Column("opened_at", STAMP, nullable=False),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("resolved_at", STAMP, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Index("ix_absence_cases_school_open", "school_id", "resolved_at"),
    )


TABLES = (
    "absence_cases",
    "leave_requests",
    "handover_discrepancies",
    "handovers",
    "reference_versions",
    "opened_days",
    "due_timers",
    "ref_enrollments",
    "ref_club_places",
    "ref_programs",
    "ref_grade_bands",
    "ref_staff",
    "ref_rooms",
    "ref_terms",
    "ref_policies",
    "ref_walk_home",
    "ref_pickup_persons",
    "ref_guardians",
    "ref_classes",
)


def upgrade() -> None:
    _reference()
    _timers()
    _handover_and_absence()


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.drop_index("ix_roster_students_class_id")
        batch_op.drop_column("left_on")
