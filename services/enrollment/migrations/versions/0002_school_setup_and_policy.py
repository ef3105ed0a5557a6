"""terms, grade bands, rooms, staff, teaching; policy profiles and their audit"""

import sqlalchemy as sa
from alembic import op

from chassis.migrations import create_table, drop_tables, ids, stamps

revision, down_revision = "0002", "0001"

_SCHOOL_INDEXED = ("terms", "staff_members", "class_teachers", "teachings", "rooms", "grade_bands")


def _school_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"])


def upgrade() -> None:
    op.create_table(
        "terms",
        *ids("term_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("makeup_days", sa.JSON(), nullable=False),
        sa.Column("winter_from", sa.Date(), nullable=True),
        sa.Column("winter_to", sa.Date(), nullable=True),
        _school_fk(),
        sa.PrimaryKeyConstraint("term_id"),
    )
    op.create_table(
        "staff_members",
        *ids("staff_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "class_teachers",
        *ids("class_id", "school_id", "staff_id"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.class_id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_members.staff_id"]),
        _school_fk(),
        sa.PrimaryKeyConstraint("class_id"),
    )
    op.create_table(
        "teachings",
        *ids("class_id", "staff_id"),
        sa.Column("school_subject", sa.String(length=50), nullable=False),
        *ids("school_id"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.class_id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_members.staff_id"]),
        _school_fk(),
        sa.PrimaryKeyConstraint("class_id", "staff_id", "school_subject"),
    )
    op.create_table(
        "rooms",
        *ids("room_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_reception", sa.Boolean(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("room_id"),
    )
    op.create_table(
        "grade_bands",
        *ids("band_id", "school_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("band_id"),
    )
    for table in _SCHOOL_INDEXED:
        op.create_index(f"ix_{table}_school_id", table, ["school_id"])
    op.create_index("ix_class_teachers_staff_id", "class_teachers", ["staff_id"])

    op.create_table(
        "policy_district_profiles",
        *ids("district_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("district_id", "effective_from"),
    )
    op.create_table(
        "policy_school_overrides",
        *ids("school_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "policy_resolved_profiles",
        *ids("school_id"),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "policy_profile_versions",
        *ids("school_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
    )
    create_table(
        "policy_audit",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        *ids("district_id"),
        *ids("school_id", nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        *ids("actor"),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        *stamps("at"),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id"),
        indexes=["district_id", "school_id"],
    )


def downgrade() -> None:
    drop_tables(
        "policy_audit",
        "policy_profile_versions",
        "policy_resolved_profiles",
        "policy_school_overrides",
        "policy_district_profiles",
        *reversed(_SCHOOL_INDEXED),
    )
