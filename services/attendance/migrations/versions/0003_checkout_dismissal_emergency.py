"""check-outs, pickup refusals, dismissal plans, not-collected cases, cleared days, emergency broadcasts"""

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    create_table(
        "check_outs",
        *ids("check_out_id", "school_id", "student_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *stamps("occurred_at", "recorded_at"),
        sa.Column("release", sa.String(length=16), nullable=False),
        *ids("person_id", nullable=True),
        sa.Column("handled_by", sa.String(length=16), nullable=False),
        *ids("staff_id", nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("place", sa.String(length=64), nullable=True),
        sa.Column("early", sa.Boolean(), nullable=False),
        sa.Column("late_fee_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("check_out_id"),
        sa.UniqueConstraint("student_id", "day", name="uq_check_out_student_day"),
        indexes=[("ix_check_outs_school_day", "school_id", "day")],
    )
    create_table(
        "pickup_refusals",
        *ids("refusal_id", "school_id", "student_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *stamps("occurred_at"),
        sa.Column("reason", sa.String(length=32), nullable=False),
        *ids("person_id", nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("place", sa.String(length=64), nullable=True),
        sa.Column("attempted_by", sa.String(length=128), nullable=False),
        *stamps("recorded_at"),
        sa.PrimaryKeyConstraint("refusal_id"),
        indexes=[("ix_pickup_refusals_school_day", "school_id", "day")],
    )
    create_table(
        "dismissal_plan_changes",
        *ids("change_id", "student_id", "school_id"),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        *stamps("changed_at"),
        sa.PrimaryKeyConstraint("change_id"),
        indexes=["student_id"],
    )
    create_table(
        "not_collected_cases",
        *ids("student_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("school_id"),
        sa.Column("band_key", sa.String(length=200), nullable=False),
        *stamps("dismissal_at", "moved_at"),
        *ids("room_id", nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        *stamps("resolved_at", nullable=True),
        *ids("check_out_id", nullable=True),
        sa.PrimaryKeyConstraint("student_id", "day"),
        indexes=[("ix_not_collected_school_day", "school_id", "day")],
    )
    create_table(
        "cleared_days",
        *ids("school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cleared_by", sa.String(length=128), nullable=False),
        *stamps("cleared_at"),
        sa.PrimaryKeyConstraint("school_id", "day"),
    )
    create_table(
        "emergency_broadcasts",
        *ids("broadcast_id", "school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        *stamps("dismiss_at"),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        *stamps("issued_at"),
        sa.Column("cleared_by", sa.String(length=128), nullable=True),
        *stamps("cleared_at", nullable=True),
        sa.PrimaryKeyConstraint("broadcast_id"),
        indexes=[("ix_emergency_broadcasts_school_day", "school_id", "day")],
    )


def downgrade() -> None:
    drop_tables(
        "emergency_broadcasts",
        "cleared_days",
        "not_collected_cases",
        "dismissal_plan_changes",
        "pickup_refusals",
        "check_outs",
    )
