"""the duty roster (值班, AT-6)"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import ids, stamps

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    op.create_table(
        "duty_roster",
        *ids("school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("staff_id", "assigned_by"),
        *stamps("assigned_at"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_members.staff_id"]),
        sa.PrimaryKeyConstraint("school_id", "day", "staff_id"),
    )


def downgrade() -> None:
    op.drop_table("duty_roster")
