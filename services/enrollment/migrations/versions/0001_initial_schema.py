"""initial schema"""

import sqlalchemy as sa

from chassis.migrations import create_chassis_tables_v1, create_table, drop_chassis_tables_v1, drop_tables, ids

revision, down_revision = "0001", None


def upgrade() -> None:
    create_chassis_tables_v1()
    create_table(
        "schools",
        *ids("school_id", "district_id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
        indexes=["district_id"],
    )
    create_table(
        "classes",
        *ids("class_id", "school_id"),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("class_id"),
        indexes=["school_id"],
    )
    create_table(
        "guardians",
        *ids("guardian_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("preferred_language", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("guardian_id"),
        indexes=["school_id"],
    )
    create_table(
        "students",
        *ids("student_id", "school_id", "class_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.class_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("student_id"),
        indexes=["school_id"],
    )
    create_table(
        "guardian_links",
        *ids("student_id", "guardian_id"),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardians.guardian_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("student_id", "guardian_id"),
    )


def downgrade() -> None:
    drop_tables("guardian_links", "students", "guardians", "classes", "schools")
    drop_chassis_tables_v1()
