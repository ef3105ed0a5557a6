"""children's grades (for broadcasts to some grades) and urgent notifications"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    with op.batch_alter_table("known_students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.Integer(), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("urgent")
    with op.batch_alter_table("known_students", schema=None) as batch_op:
        batch_op.drop_column("grade")
