"""a provider's receipt finds its delivery by the provider's message id"""

from alembic import op

revision, down_revision = "0006", "0005"


def upgrade() -> None:
    op.create_index("ix_deliveries_provider", "deliveries", ["channel", "provider_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_provider", table_name="deliveries")
