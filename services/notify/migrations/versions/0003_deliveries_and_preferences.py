"""deliveries per channel, guardian preferences, webhook endpoints, pickup persons,
recent broadcasts, read notifications, staff inboxes

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("audience", sa.String(length=8), server_default="guardian", nullable=False))
    op.create_table(
        "recent_broadcasts",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("broadcast_id", sa.String(length=64), nullable=False),
        sa.Column("sent_at", _TS, nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "key"),
    )
    op.create_table(
        "pickup_persons",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "student_id"),
    )
    op.create_table(
        "guardian_preferences",
        sa.Column("guardian_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("guardian_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("fallback", sa.JSON(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("failed_at", _TS, nullable=True),
        sa.Column("read_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("delivery_id"),
        sa.UniqueConstraint("event_id", "recipient_id", "channel", name="uq_delivery_per_event_recipient_channel"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["channel", "state", "next_attempt_at"])
    op.create_index("ix_deliveries_notification", "deliveries", ["notification_id"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("endpoint_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=True),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), nullable=False),
        sa.Column("open_until", _TS, nullable=True),
        sa.PrimaryKeyConstraint("endpoint_id"),
    )
    op.create_index("ix_webhook_endpoints_school_id", "webhook_endpoints", ["school_id"])
    op.create_index("ix_webhook_endpoints_district_id", "webhook_endpoints", ["district_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_endpoints_district_id", table_name="webhook_endpoints")
    op.drop_index("ix_webhook_endpoints_school_id", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_deliveries_notification", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("guardian_preferences")
    op.drop_table("pickup_persons")
    op.drop_table("recent_broadcasts")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("audience")
        batch_op.drop_column("read_at")
