"""fee plans and waivers (EN-7)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_plans",
        sa.Column("fee_plan_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fen_per_class_hour", sa.Integer(), nullable=False),
        sa.Column("max_charged_class_hours_per_day", sa.Integer(), nullable=True),
        sa.Column("fen_per_month", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("fee_plan_id"),
        sa.UniqueConstraint("program_id", "version", name="uq_fee_plans_program_version"),
    )
    with op.batch_alter_table("fee_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_plans_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_plans_program_id"), ["program_id"], unique=False)

    op.create_table(
        "fee_waivers",
        sa.Column("waiver_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=True),
        sa.Column("percent_payable", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("waiver_id"),
    )
    with op.batch_alter_table("fee_waivers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_waivers_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_waivers_student_id"), ["student_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fee_waivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_waivers_student_id"))
        batch_op.drop_index(batch_op.f("ix_fee_waivers_school_id"))
    op.drop_table("fee_waivers")
    with op.batch_alter_table("fee_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_plans_program_id"))
        batch_op.drop_index(batch_op.f("ix_fee_plans_school_id"))
    op.drop_table("fee_plans")
