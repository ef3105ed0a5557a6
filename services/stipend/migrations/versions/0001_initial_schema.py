"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_chassis_tables_v1, drop_chassis_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_chassis_tables_v1()
    op.create_table(
        "attended_sessions",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("session_date", sa.String(length=10), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("class_hours", sa.Integer(), nullable=False),
        sa.Column("first_check_in_id", sa.String(length=64), nullable=False),
        sa.Column("first_event_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "session_date"),
    )
    with op.batch_alter_table("attended_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_attended_school_month", ["school_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attended_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_attended_school_month")

    op.drop_table("attended_sessions")
    drop_chassis_tables_v1()
