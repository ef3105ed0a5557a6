"""statements and fees"""

from typing import Any

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0002", "0001"

MONTH = sa.String(length=7)


def _month(name: str) -> sa.Column[str]:
    return sa.Column(name, MONTH, nullable=False)


def _integers(*names: str) -> list[sa.Column[int]]:
    """NOT NULL integer columns: amounts in fen, counts and scores."""
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _child_day_fact(name: str, key: str, *columns: sa.Column[Any], month_index: str) -> None:
    """A fact about one child on one school day (the models' `ChildDayFact`): its key, whose, which school, the day
    and month, its own `columns`, and the event that brought it."""
    create_table(
        name,
        *ids(key, "student_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        _month("month"),
        *columns,
        *ids("event_id"),
        sa.PrimaryKeyConstraint(key),
        indexes=[(month_index, "school_id", "month"), "student_id"],
    )


def upgrade() -> None:
    _child_day_fact("check_ins", "check_in_id", *stamps("occurred_at"), month_index="ix_check_ins_school_month")
    _child_day_fact("check_outs", "check_out_id", *stamps("occurred_at"), month_index="ix_check_outs_school_month")
    create_table(
        "family_adjustments",
        *ids("school_id"),
        _month("statement_month"),
        *ids("student_id"),
        _month("for_month"),
        *_integers("amount_fen"),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("school_id", "statement_month", "student_id", "for_month"),
    )
    create_table(
        "family_statements",
        *ids("school_id"),
        _month("month"),
        *ids("student_id"),
        *_integers("gross_fen", "waived_fen", "late_pickup_fen", "due_fen", "adjustments_fen"),
        *ids("issued_by"),
        *stamps("issued_at"),
        sa.PrimaryKeyConstraint("school_id", "month", "student_id"),
        indexes=[("ix_family_statements_school_month", "school_id", "month")],
    )
    _child_day_fact(
        "late_pickup_fees",
        "check_out_id",
        *_integers("minutes_late", "fee_fen"),
        month_index="ix_late_fees_school_month",
    )
    _child_day_fact("leaves", "leave_id", month_index="ix_leaves_school_month")
    create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.String(length=96), nullable=False),
        *ids("school_id"),
        _month("statement_month"),
        *ids("staff_id"),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        _month("session_month"),
        sa.Column("line", sa.String(length=16), nullable=False),
        *_integers("units", "fen"),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("reverses", sa.JSON(), nullable=False),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("entry_id"),
        indexes=[
            ("ix_ledger_session_month", "school_id", "session_month"),
            ("ix_ledger_statement", "school_id", "statement_month", "staff_id"),
        ],
    )
    create_table(
        "payments",
        *ids("school_id", "reference", "student_id"),
        *_integers("amount_fen"),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        *ids("recorded_by"),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("school_id", "reference"),
        indexes=["student_id"],
    )
    create_table(
        "program_scores",
        *ids("term_id", "program_id", "school_id"),
        *_integers("plan_completion", "effectiveness"),
        sa.Column("note", sa.String(length=500), nullable=False),
        *ids("scored_by"),
        *stamps("scored_at"),
        sa.PrimaryKeyConstraint("term_id", "program_id"),
    )
    create_table(
        "ref_club_places",
        *ids("program_id", "student_id"),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("program_id", "student_id"),
        indexes=["student_id"],
    )
    create_table(
        "ref_fee_plans",
        *ids("fee_plan_id", "program_id", "school_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        *_integers("fen_per_class_hour"),
        sa.Column("max_per_day", sa.Integer(), nullable=True),
        *_integers("fen_per_month"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("fee_plan_id"),
        indexes=["program_id"],
    )
    create_table(
        "ref_guardians",
        *ids("student_id", "guardian_id", "school_id"),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
        indexes=["guardian_id"],
    )
    create_table(
        "ref_options",
        *ids("application_id", "student_id"),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
        indexes=["student_id"],
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
        "ref_programs",
        *ids("program_id", "school_id", "term_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("min_grade", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.Boolean(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("program_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_schools",
        *ids("school_id", "district_id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
        indexes=["district_id"],
    )
    create_table(
        "ref_students",
        *ids("student_id", "school_id"),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_terms",
        *ids("term_id", "school_id"),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term_id"),
        indexes=["school_id"],
    )
    create_table(
        "ref_waivers",
        *ids("waiver_id", "student_id", "school_id"),
        *ids("program_id", nullable=True),
        sa.Column("percent_payable", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("waiver_id"),
        indexes=["student_id"],
    )
    create_table(
        "staff_facts",
        sa.Column("fact_id", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        *ids("staff_id", "school_id"),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        _month("month"),
        sa.Column("session_kind", sa.String(length=32), nullable=False),
        *ids("program_id", nullable=True),
        sa.Column("half_session", sa.Boolean(), nullable=False),
        *ids("event_id"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("fact_id"),
        indexes=[("ix_staff_facts_school_month", "school_id", "month")],
    )
    create_table(
        "statement_runs",
        *ids("school_id"),
        _month("month"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        *ids("approved_by"),
        *stamps("approved_at"),
        *ids("published_by", nullable=True),
        *stamps("published_at", nullable=True),
        sa.PrimaryKeyConstraint("school_id", "month"),
    )
    create_table(
        "survey_answers",
        *ids("term_id", "program_id", "student_id", "school_id"),
        sa.Column("score", sa.Integer(), nullable=False),
        *stamps("answered_at"),
        sa.PrimaryKeyConstraint("term_id", "program_id", "student_id"),
    )
    create_table(
        "term_settlements",
        *ids("school_id", "term_id", "staff_id"),
        *_integers("process_fen", "weight", "bonus_fen"),
        sa.Column("forfeited", sa.Boolean(), nullable=False),
        *ids("published_by"),
        *stamps("published_at"),
        sa.PrimaryKeyConstraint("school_id", "term_id", "staff_id"),
    )
    drop_tables("attended_sessions")


def downgrade() -> None:
    # 0001's table as it made it. Until 2026-12 this re-created `recorded_at` as a plain DATETIME, a type PostgreSQL
    # does not have, so a downgrade below 0002 failed there; SQLite gets the same DATETIME column either way.
    create_table(
        "attended_sessions",
        *ids("student_id"),
        sa.Column("session_date", sa.String(length=10), nullable=False),
        *ids("school_id"),
        _month("month"),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        *ids("first_check_in_id", "first_event_id"),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("student_id", "session_date"),
        indexes=[("ix_attended_school_month", "school_id", "month")],
    )
    drop_tables(
        "term_settlements",
        "survey_answers",
        "statement_runs",
        "staff_facts",
        "ref_waivers",
        "ref_terms",
        "ref_students",
        "ref_schools",
        "ref_programs",
        "ref_policies",
        "ref_options",
        "ref_guardians",
        "ref_fee_plans",
        "ref_club_places",
        "program_scores",
        "payments",
        "ledger_entries",
        "leaves",
        "late_pickup_fees",
        "family_statements",
        "family_adjustments",
        "check_outs",
        "check_ins",
    )
