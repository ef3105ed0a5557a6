"""Tables and queries of policy profiles (on enrollment's metadata, `services.enrollment.store.Base`).

A district default is a full `PolicySettings` from an effective date; a school's overrides are a partial set of
fields from an effective date. `resolved_profiles` keeps what was published per school and change point (PL-1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Date, DateTime, Integer, String, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from chassis.pagination import rows_after
from chassis.sql import insert_ignoring_duplicates
from contracts.policy import PolicySettings
from services.enrollment.domain.policy import apply_overrides
from services.enrollment.store import Base, School

T = TypeVar("T")


class DistrictProfile(Base):
    """A district's default settings from `effective_from` (PL-1)."""

    __tablename__ = "policy_district_profiles"

    district_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class SchoolOverrides(Base):
    """A school's own overridden fields from `effective_from` (replacing its earlier overrides from then on)."""

    __tablename__ = "policy_school_overrides"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)


class ResolvedProfile(Base):
    """The resolved settings published for a school from a change point, with the version they carried."""

    __tablename__ = "policy_resolved_profiles"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProfileVersion(Base):
    """The last `PolicyProfileSet.version` a school got; its row lock serialises a school's publications."""

    __tablename__ = "policy_profile_versions"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class PolicyAudit(Base):
    """PL-2: one change of a profile: who, when, which scope, from when, before and after."""

    __tablename__ = "policy_audit"

    audit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    scope: Mapped[str] = mapped_column(String(16))  # "district" or "school"
    effective_from: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


async def _in_force(
    session: AsyncSession, model: type[T], scope: ColumnElement[bool], effective_from: Mapped[date], on: date
) -> T | None:
    """PL-1: the `model` row of `scope` with the latest `effective_from` not after `on`, if any."""
    query = select(model).where(scope, effective_from <= on).order_by(effective_from.desc()).limit(1)
    return (await session.execute(query)).scalars().first()


async def district_profile_in_force(session: AsyncSession, *, district_id: str, on: date) -> DistrictProfile | None:
    """The district default in force on `on`, if any."""
    p = DistrictProfile
    return await _in_force(session, p, p.district_id == district_id, p.effective_from, on)


async def overrides_in_force(session: AsyncSession, *, school_id: str, on: date) -> SchoolOverrides | None:
    """The school's overrides in force on `on`, if any."""
    o = SchoolOverrides
    return await _in_force(session, o, o.school_id == school_id, o.effective_from, on)


async def settings_in_force(session: AsyncSession, *, school_id: str, on: date) -> PolicySettings:
    """PL-1: the school's resolved settings on `on` (the national default when nothing was set)."""
    school = await session.get(School, school_id)
    district = (
        await district_profile_in_force(session, district_id=school.district_id, on=on) if school is not None else None
    )
    base = PolicySettings.model_validate(district.settings) if district is not None else PolicySettings()
    overrides = await overrides_in_force(session, school_id=school_id, on=on)
    return apply_overrides(base, overrides.overrides if overrides is not None else {})


async def district_records(session: AsyncSession, *, district_id: str) -> list[tuple[date, dict[str, Any]]]:
    """Every district default of a district, as (effective_from, settings JSON)."""
    rows = await session.execute(
        select(DistrictProfile.effective_from, DistrictProfile.settings).where(
            DistrictProfile.district_id == district_id
        )
    )
    return [(d, s) for d, s in rows]


async def school_records(session: AsyncSession, *, school_id: str) -> list[tuple[date, dict[str, Any]]]:
    """Every override set of a school, as (effective_from, overrides JSON)."""
    rows = await session.execute(
        select(SchoolOverrides.effective_from, SchoolOverrides.overrides).where(SchoolOverrides.school_id == school_id)
    )
    return [(d, o) for d, o in rows]


async def lock_schools(
    session: AsyncSession, *, district_id: str | None = None, school_id: str | None = None
) -> list[School]:
    """The schools of a district (or one school), row-locked in id order so profile changes touching a school
    run one after the other and each resolves from the other's committed result. FOR NO KEY UPDATE: rows
    referencing a school (classes, students, …) take FOR KEY SHARE, which this does not block."""
    query = select(School).order_by(School.school_id).with_for_update(key_share=True)
    query = query.where(School.district_id == district_id) if district_id is not None else query
    query = query.where(School.school_id == school_id) if school_id is not None else query
    return list((await session.execute(query)).scalars())


async def next_version(session: AsyncSession, *, school_id: str) -> int:
    """The school's next `PolicyProfileSet.version` (1, 2, …), counted in its locked row."""
    await session.execute(insert_ignoring_duplicates(session, ProfileVersion, {"school_id": school_id, "version": 0}))
    bumped = await session.execute(
        update(ProfileVersion)
        .where(ProfileVersion.school_id == school_id)
        .values(version=ProfileVersion.version + 1)
        .returning(ProfileVersion.version)
    )
    return int(bumped.scalar_one())


async def history_page(
    session: AsyncSession, *, school_id: str, after: date | None, limit: int
) -> list[ResolvedProfile]:
    """Up to `limit + 1` of a school's published change points after `after`, oldest first."""
    query = select(ResolvedProfile).where(ResolvedProfile.school_id == school_id)
    return await rows_after(session, query, [ResolvedProfile.effective_from], after, limit + 1)


async def district_page(
    session: AsyncSession, *, district_id: str, after: date | None, limit: int
) -> list[DistrictProfile]:
    """Up to `limit + 1` of a district's defaults after `after`, oldest first."""
    query = select(DistrictProfile).where(DistrictProfile.district_id == district_id)
    return await rows_after(session, query, [DistrictProfile.effective_from], after, limit + 1)


async def audit_page(
    session: AsyncSession, *, district_id: str, school_id: str | None, after: int | None, limit: int
) -> list[PolicyAudit]:
    """Up to `limit + 1` audit entries after `after`: a district's, or one school's together with its district's."""
    query = select(PolicyAudit).where(PolicyAudit.district_id == district_id)
    if school_id is not None:
        query = query.where(or_(PolicyAudit.school_id == school_id, PolicyAudit.scope == "district"))
    return await rows_after(session, query, [PolicyAudit.audit_id], after, limit + 1)
