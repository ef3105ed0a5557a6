"""deliveries per channel, guardian preferences, webhook endpoints, pickup persons,
recent broadcasts, read notifications, staff inboxes"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import STAMP, create_table, drop_tables, ids, stamps

revision, down_revision = "0003", "0002"

URL = sa.String(length=500)


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", STAMP, nullable=True))
        batch_op.add_column(sa.Column("audience", sa.String(length=8), server_default="guardian", nullable=False))
    create_table(
        "recent_broadcasts",
        *ids("school_id"),
        sa.Column("key", sa.String(length=32), nullable=False),
        *ids("broadcast_id"),
        *stamps("sent_at"),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "key"),
    )
    create_table(
        "pickup_persons",
        *ids("person_id", "student_id", "school_id"),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "student_id"),
    )
    create_table(
        "guardian_preferences",
        *ids("guardian_id", "school_id"),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        *stamps("updated_at"),
        sa.PrimaryKeyConstraint("guardian_id"),
    )
    create_table(
        "deliveries",
        *ids("delivery_id", "event_id", "recipient_id"),
        sa.Column("channel", sa.String(length=16), nullable=False),
        *ids("school_id"),
        *ids("notification_id", nullable=True),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("address", URL, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        *stamps("next_attempt_at"),
        sa.Column("fallback", sa.JSON(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("last_error", URL, nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        *stamps("created_at"),
        *stamps("sent_at", "delivered_at", "failed_at", "read_at", nullable=True),
        sa.PrimaryKeyConstraint("delivery_id"),
        sa.UniqueConstraint("event_id", "recipient_id", "channel", name="uq_delivery_per_event_recipient_channel"),
        indexes=[
            ("ix_deliveries_due", "channel", "state", "next_attempt_at"),
            ("ix_deliveries_notification", "notification_id"),
        ],
    )
    create_table(
        "webhook_endpoints",
        *ids("endpoint_id", "school_id"),
        sa.Column("url", URL, nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        *stamps("created_at"),
        *ids("district_id", nullable=True),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), nullable=False),
        *stamps("open_until", nullable=True),
        sa.PrimaryKeyConstraint("endpoint_id"),
        indexes=["school_id", "district_id"],
    )


def downgrade() -> None:
    drop_tables("webhook_endpoints", "deliveries", "guardian_preferences", "pickup_persons", "recent_broadcasts")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("audience")
        batch_op.drop_column("read_at")
