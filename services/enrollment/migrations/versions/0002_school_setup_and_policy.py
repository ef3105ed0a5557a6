"""terms, grade bands, rooms, staff, teaching; policy profiles and their audit

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHOOL_INDEXED = ("terms", "staff_members", "class_teachers", "teachings", "rooms", "grade_bands")


def _school_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"])


def upgrade() -> None:
    op.create_table(
        "terms",
        sa.Column("term_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
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
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "class_teachers",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.class_id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_members.staff_id"]),
        _school_fk(),
        sa.PrimaryKeyConstraint("class_id"),
    )
    op.create_table(
        "teachings",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("school_subject", sa.String(length=50), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.class_id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_members.staff_id"]),
        _school_fk(),
        sa.PrimaryKeyConstraint("class_id", "staff_id", "school_subject"),
    )
    op.create_table(
        "rooms",
        sa.Column("room_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_reception", sa.Boolean(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("room_id"),
    )
    op.create_table(
        "grade_bands",
        sa.Column("band_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        _school_fk(),
        sa.PrimaryKeyConstraint("band_id"),
    )
    for table in _SCHOOL_INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_school_id"), ["school_id"], unique=False)
    with op.batch_alter_table("class_teachers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_teachers_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "policy_district_profiles",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("district_id", "effective_from"),
    )
    op.create_table(
        "policy_school_overrides",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "policy_resolved_profiles",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "effective_from"),
    )
    op.create_table(
        "policy_profile_versions",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id"),
    )
    op.create_table(
        "policy_audit",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    with op.batch_alter_table("policy_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_audit_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_audit_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_audit_school_id"))
        batch_op.drop_index(batch_op.f("ix_policy_audit_district_id"))
    for table in (
        "policy_audit",
        "policy_profile_versions",
        "policy_resolved_profiles",
        "policy_school_overrides",
        "policy_district_profiles",
    ):
        op.drop_table(table)
    with op.batch_alter_table("class_teachers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_teachers_staff_id"))
    for table in reversed(_SCHOOL_INDEXED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_school_id"))
        op.drop_table(table)
