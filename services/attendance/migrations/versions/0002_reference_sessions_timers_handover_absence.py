"""reference copies of enrollment data, sessions, due timers, handover, leave and absence"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0002", "0001"

HANDOVER_ID = sa.String(length=200)
SESSION_ID = sa.String(length=120)


def _reference() -> None:
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_roster_students_class_id", ["class_id"], unique=False)
    create_table(
        "ref_classes",
        *ids("class_id", "school_id"),
        sa.Column("grade", sa.Integer(), nullable=True),
        *ids("teacher_id", nullable=True),
        sa.PrimaryKeyConstraint("class_id"),
        indexes=["school_id", "teacher_id"],
    )
    create_table(
        "ref_guardians",
        *ids("student_id", "guardian_id", "school_id"),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
        indexes=["guardian_id"],
    )
    create_table(
        "ref_pickup_persons",
        *ids("student_id", "person_id", "school_id"),
        sa.Column("relation", sa.String(length=32), nullable=True),
        sa.Column("credential_ref", sa.String(length=128), nullable=True),
        *ids("guardian_id", nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "person_id"),
    )
    create_table(
        "ref_walk_home",
        *ids("student_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        *ids("school_id"),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        *ids("guardian_id"),
        sa.PrimaryKeyConstraint("student_id", "effective_from"),
    )
    create_table(
        "ref_policies",
        *ids("school_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    create_table(
        "ref_terms",
        *ids("term_id", "school_id"),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_rooms",
        *ids("room_id", "school_id"),
        sa.Column("is_reception", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("room_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_staff",
        *ids("staff_id", "school_id"),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_grade_bands",
        *ids("band_id", "school_id"),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("band_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_programs",
        *ids("program_id", "school_id", "term_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        *ids("room_id", nullable=True),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("min_grade", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.Integer(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("program_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_club_places",
        *ids("program_id", "student_id", "school_id"),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("program_id", "student_id"),
    )
    create_table(
        "ref_enrollments",
        *ids("application_id", "student_id", "school_id", "term_id"),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("application_id"),
        indexes=["student_id", "school_id"],
    )


def _timers() -> None:
    create_table(
        "due_timers",
        *ids("kind"),
        sa.Column("key", sa.String(length=200), nullable=False),
        *ids("school_id"),
        *stamps("due_at"),
        sa.Column("payload", sa.JSON(), nullable=False),
        *stamps("fired_at", "cancelled_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key"),
        indexes=["due_at"],
    )
    create_table(
        "opened_days",
        *ids("school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *stamps("opened_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "day"),
    )
    create_table(
        "reference_versions",
        *ids("school_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
    )


def _handover_and_absence() -> None:
    create_table(
        "handovers",
        sa.Column("handover_id", HANDOVER_ID, nullable=False),
        *ids("school_id"),
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("class_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        *ids("given_by"),
        *stamps("given_at"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("on_leave_student_ids", sa.JSON(), nullable=False),
        sa.Column("student_ids", sa.JSON(), nullable=True),
        *ids("acknowledged_by", nullable=True),
        *stamps("acknowledged_at", nullable=True),
        sa.Column("acknowledged_count", sa.Integer(), nullable=True),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("handover_id"),
        indexes=[("ix_handovers_school_session", "school_id", "session_id")],
    )
    create_table(
        "handover_discrepancies",
        sa.Column("discrepancy_id", sa.String(length=220), nullable=False),
        sa.Column("handover_id", HANDOVER_ID, nullable=False),
        *ids("school_id"),
        sa.Column("session_id", SESSION_ID, nullable=False),
        *ids("class_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("missing_student_ids", sa.JSON(), nullable=False),
        *stamps("opened_at"),
        *ids("resolved_by", nullable=True),
        *stamps("resolved_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("discrepancy_id"),
        indexes=["handover_id", ("ix_handover_discrepancies_school_open", "school_id", "resolved_at")],
    )
    create_table(
        "leave_requests",
        *ids("leave_id", "school_id", "student_id", "class_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_id", SESSION_ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *ids("requested_by"),
        *stamps("requested_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        *ids("decided_by", nullable=True),
        *stamps("decided_at", nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("leave_id"),
        indexes=["student_id", ("ix_leave_requests_school_day", "school_id", "day")],
    )
    create_table(
        "absence_cases",
        sa.Column("case_id", HANDOVER_ID, nullable=False),
        *ids("school_id", "student_id", "class_id"),
        sa.Column("session_id", SESSION_ID, nullable=False),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *stamps("session_starts_at", "opened_at"),
        *ids("resolved_by", nullable=True),
        *stamps("resolved_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
        indexes=[("ix_absence_cases_school_open", "school_id", "resolved_at")],
    )


def upgrade() -> None:
    _reference()
    _timers()
    _handover_and_absence()


def downgrade() -> None:
    drop_tables(
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
    with op.batch_alter_table("roster_students", schema=None) as batch_op:
        batch_op.drop_index("ix_roster_students_class_id")
        batch_op.drop_column("left_on")
