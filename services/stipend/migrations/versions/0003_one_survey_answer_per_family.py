"""one survey answer per family"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    # QA-2: answers kept before this were one per child; each keeps its child as its family key, so the
    # constraint holds for them and only new answers are judged by family. Batch mode: SQLite (embedded) too.
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family_key", sa.String(length=64), nullable=True))
    op.execute("UPDATE survey_answers SET family_key = student_id")
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.alter_column("family_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_survey_answer_per_family", ["term_id", "program_id", "family_key"])


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_survey_answer_per_family", type_="unique")
        batch_op.drop_column("family_key")
