"""fee plans and waivers (EN-7)"""

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0006", "0005"

REASON = sa.String(length=500)


def upgrade() -> None:
    create_table(
        "fee_plans",
        *ids("fee_plan_id", "school_id", "program_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fen_per_class_hour", sa.Integer(), nullable=False),
        sa.Column("max_charged_class_hours_per_day", sa.Integer(), nullable=True),
        sa.Column("fen_per_month", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        *ids("set_by"),
        *stamps("set_at"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("fee_plan_id"),
        sa.UniqueConstraint("program_id", "version", name="uq_fee_plans_program_version"),
        indexes=["school_id", "program_id"],
    )
    create_table(
        "fee_waivers",
        *ids("waiver_id", "school_id", "student_id"),
        *ids("program_id", nullable=True),
        sa.Column("percent_payable", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reason", REASON, nullable=False),
        *ids("granted_by"),
        *stamps("granted_at"),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        *ids("revoked_by", nullable=True),
        *stamps("revoked_at", nullable=True),
        sa.Column("revoke_reason", REASON, nullable=True),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("waiver_id"),
        indexes=["school_id", "student_id"],
    )


def downgrade() -> None:
    drop_tables("fee_waivers", "fee_plans")
