"""check-outs, pickup refusals, dismissal plans, not-collected cases, cleared days, emergency broadcasts

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "check_outs",
        sa.Column("check_out_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _when("occurred_at"),
        _when("recorded_at"),
        sa.Column("release", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("handled_by", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("place", sa.String(length=64), nullable=True),
        sa.Column("early", sa.Boolean(), nullable=False),
        sa.Column("late_fee_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("check_out_id"),
        sa.UniqueConstraint("student_id", "day", name="uq_check_out_student_day"),
    )
    with op.batch_alter_table("check_outs", schema=None) as batch_op:
        batch_op.create_index("ix_check_outs_school_day", ["school_id", "day"], unique=False)

    op.create_table(
        "pickup_refusals",
        sa.Column("refusal_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _when("occurred_at"),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("place", sa.String(length=64), nullable=True),
        sa.Column("attempted_by", sa.String(length=128), nullable=False),
        _when("recorded_at"),
        sa.PrimaryKeyConstraint("refusal_id"),
    )
    with op.batch_alter_table("pickup_refusals", schema=None) as batch_op:
        batch_op.create_index("ix_pickup_refusals_school_day", ["school_id", "day"], unique=False)

    op.create_table(
        "dismissal_plan_changes",
        sa.Column("change_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        _when("changed_at"),
        sa.PrimaryKeyConstraint("change_id"),
    )
    with op.batch_alter_table("dismissal_plan_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dismissal_plan_changes_student_id"), ["student_id"], unique=False)

    op.create_table(
        "not_collected_cases",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("band_key", sa.String(length=200), nullable=False),
        _when("dismissal_at"),
        _when("moved_at"),
        sa.Column("room_id", sa.String(length=64), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        _when("resolved_at", nullable=True),
        sa.Column("check_out_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("student_id", "day"),
    )
    with op.batch_alter_table("not_collected_cases", schema=None) as batch_op:
        batch_op.create_index("ix_not_collected_school_day", ["school_id", "day"], unique=False)

    op.create_table(
        "cleared_days",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cleared_by", sa.String(length=128), nullable=False),
        _when("cleared_at"),
        sa.PrimaryKeyConstraint("school_id", "day"),
    )

    op.create_table(
        "emergency_broadcasts",
        sa.Column("broadcast_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        _when("dismiss_at"),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        _when("issued_at"),
        sa.Column("cleared_by", sa.String(length=128), nullable=True),
        _when("cleared_at", nullable=True),
        sa.PrimaryKeyConstraint("broadcast_id"),
    )
    with op.batch_alter_table("emergency_broadcasts", schema=None) as batch_op:
        batch_op.create_index("ix_emergency_broadcasts_school_day", ["school_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emergency_broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_broadcasts_school_day")
    op.drop_table("emergency_broadcasts")
    op.drop_table("cleared_days")
    with op.batch_alter_table("not_collected_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_not_collected_school_day")
    op.drop_table("not_collected_cases")
    with op.batch_alter_table("dismissal_plan_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dismissal_plan_changes_student_id"))
    op.drop_table("dismissal_plan_changes")
    with op.batch_alter_table("pickup_refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_pickup_refusals_school_day")
    op.drop_table("pickup_refusals")
    with op.batch_alter_table("check_outs", schema=None) as batch_op:
        batch_op.drop_index("ix_check_outs_school_day")
    op.drop_table("check_outs")
