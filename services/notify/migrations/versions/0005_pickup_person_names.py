"""pickup persons' names, so a check-out alert says who collected the child (NT-1)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"


def upgrade() -> None:
    with op.batch_alter_table("pickup_persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pickup_persons", schema=None) as batch_op:
        batch_op.drop_column("name")
