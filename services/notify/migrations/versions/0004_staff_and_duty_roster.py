"""the school's staff and roles, and the duty roster (staff recipients, issue 10)

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
        "known_staff",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    with op.batch_alter_table("known_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_staff_school_id"), ["school_id"], unique=False)
    op.create_table(
        "duty_roster",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "day", "staff_id"),
    )


def downgrade() -> None:
    op.drop_table("duty_roster")
    with op.batch_alter_table("known_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_staff_school_id"))
    op.drop_table("known_staff")
