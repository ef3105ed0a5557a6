"""the chassis tables' age indexes, by which housekeeping purges old rows in batches

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from chassis.migrations import create_chassis_age_indexes_v2, drop_chassis_age_indexes_v2

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_chassis_age_indexes_v2()


def downgrade() -> None:
    drop_chassis_age_indexes_v2()
