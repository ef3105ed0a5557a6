"""the school's staff and roles, and the duty roster (staff recipients, issue 10)"""

import sqlalchemy as sa

from chassis.migrations import create_table, drop_tables, ids

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    create_table(
        "known_staff",
        *ids("staff_id", "school_id"),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
        indexes=["school_id"],
    )
    create_table(
        "duty_roster",
        *ids("school_id"),
        sa.Column("day", sa.Date(), nullable=False),
        *ids("staff_id"),
        sa.PrimaryKeyConstraint("school_id", "day", "staff_id"),
    )


def downgrade() -> None:
    drop_tables("duty_roster", "known_staff")
