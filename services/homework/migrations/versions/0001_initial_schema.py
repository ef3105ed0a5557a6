"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

from chassis.migrations import create_chassis_tables_v1, drop_chassis_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_chassis_tables_v1()


def downgrade() -> None:
    drop_chassis_tables_v1()
