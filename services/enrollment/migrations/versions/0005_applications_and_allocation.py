"""applications, their steps, club choices, places, waitlists and allocation runs"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0005", "0004"


def upgrade() -> None:
    create_table(
        "applications",
        *ids("application_id", "school_id", "student_id", "term_id"),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("club_choices", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("open_key", sa.String(length=140), nullable=True),
        *stamps("created_at", "updated_at"),
        sa.Column("withdrawal_effective_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("application_id"),
        sa.UniqueConstraint("open_key"),
        indexes=["school_id", "student_id", "term_id"],
    )
    create_table(
        "application_history",
        sa.Column("entry_id", sa.Integer(), autoincrement=True, nullable=False),
        *ids("application_id"),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        *ids("by"),
        sa.Column("role", sa.String(length=32), nullable=False),
        *stamps("at"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.application_id"]),
        sa.PrimaryKeyConstraint("entry_id"),
        indexes=["application_id"],
    )
    create_table(
        "club_places",
        *ids("program_id", "student_id", "school_id", "term_id"),
        sa.Column("how", sa.String(length=16), nullable=False),
        *ids("run_id", nullable=True),
        *stamps("since"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("program_id", "student_id"),
    )
    create_table(
        "club_waitlist",
        *ids("program_id", "student_id", "school_id", "term_id"),
        sa.Column("rank", sa.Integer(), nullable=False),
        *ids("run_id", nullable=True),
        *stamps("since"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.program_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("program_id", "student_id"),
    )
    for table in ("club_places", "club_waitlist"):
        for column in ("school_id", "student_id", "term_id"):
            op.create_index(f"ix_{table}_{column}", table, [column])
    create_table(
        "allocation_runs",
        *ids("run_id", "school_id", "term_id"),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        *ids("by"),
        *stamps("at"),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("run_id"),
        indexes=["school_id", "term_id"],
    )


def downgrade() -> None:
    drop_tables("allocation_runs", "club_waitlist", "club_places", "application_history", "applications")
