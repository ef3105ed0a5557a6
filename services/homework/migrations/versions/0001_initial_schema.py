"""initial schema"""

from chassis.migrations import create_chassis_tables_v1 as upgrade
from chassis.migrations import drop_chassis_tables_v1 as downgrade

revision, down_revision = "0001", None
__all__ = ["downgrade", "upgrade"]
