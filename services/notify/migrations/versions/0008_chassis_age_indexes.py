"""the chassis tables' age indexes, by which housekeeping purges old rows in batches (chassis/migrations.py)"""

from chassis.migrations import create_chassis_age_indexes_v2 as upgrade
from chassis.migrations import drop_chassis_age_indexes_v2 as downgrade

revision, down_revision = "0008", "0007"
__all__ = ["downgrade", "upgrade"]
