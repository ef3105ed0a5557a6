"""programs (the base service, clubs, optional services)"""

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    create_table(
        "programs",
        *ids("program_id", "school_id", "term_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        *ids("room_id", nullable=True),
        sa.Column("teacher_ids", sa.JSON(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("min_grade", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.Boolean(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("program_id"),
        indexes=["school_id", "term_id"],
    )


def downgrade() -> None:
    drop_tables("programs")
