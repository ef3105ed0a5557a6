"""a district subscriber's delivery names the entity its event is about, so an erasure finds it"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("subject", sa.String(length=64), nullable=True))
    op.create_index("ix_deliveries_subject", "deliveries", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_subject", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("subject")
