"""HTTP routes of policy profiles under `/enrollment/v1` (PL-1, PL-2).

A district operator sets the district default and reads any school of their district (naming it with
`school_id`); a school admin sets their school's overrides; the school's staff read what is in force.
Another school's or another district's profiles answer 404.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import DistrictOperator, Paging, SchoolAdmin, once_answering
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.pagination import Page, page_of_rows
from chassis.problems import Forbidden, NotFound, Unprocessable
from contracts.policy import PolicySettings
from services.enrollment.fields import DistrictId, ProfileActor, SchoolId, Scope, WhenFrom
from services.enrollment.policy import handlers, store
from services.enrollment.policy.schemas import DistrictDefaultBody, SchoolOverridesBody
from services.enrollment.setup.api import SCHOOL_STAFF
from services.enrollment.store import School

router = APIRouter(prefix="/enrollment/v1/policy-profiles", tags=["policy"])

AnyStaffOrDistrictOperator = Annotated[Principal, require(*SCHOOL_STAFF, Role.DISTRICT_OPERATOR)]
AdminOrDistrictOperator = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DISTRICT_OPERATOR)]
SchoolQuery = Annotated[str | None, Query(max_length=64, description="district operators name the school")]
IN_FORCE = Field(description="every setting in force (PL-1): national default, district default, school override")
NATIONAL: dict[str, Any] = PolicySettings().model_dump(mode="json")


class ProfileChangePublic(BaseModel):
    """What a change did (`changed` is false when the same values were already set for that date)."""

    model_config = examples(
        {
            "scope": "school",
            "effective_from": "2026-12-01",
            "changed": True,
            "schools": 1,
            "profiles_published": 1,
        }
    )

    scope: Scope
    effective_from: WhenFrom
    changed: bool = Field(description="false when the same values were already set for that date (nothing audited)")
    schools: int = Field(description="how many schools the change reaches")
    profiles_published: int = Field(description="how many resolved profiles were re-published to the other services")


class InForcePublic(BaseModel):
    """PL-1: a school's resolved settings on a day."""

    model_config = examples({"school_id": "sy-xiaoxue", "on": "2026-11-25", "settings": NATIONAL})

    school_id: SchoolId
    on: date = Field(description="the school day asked about (Asia/Shanghai)")
    settings: PolicySettings = IN_FORCE


class ResolvedPublic(BaseModel):
    """A change point of a school's resolved profile, as published."""

    model_config = examples(
        {"school_id": "sy-xiaoxue", "effective_from": "2026-09-01", "version": 3, "settings": NATIONAL}
    )

    school_id: SchoolId
    effective_from: WhenFrom
    version: int = Field(description="the published profile's version (1, 2, …): consumers keep the highest")
    settings: PolicySettings = IN_FORCE


class DistrictDefaultPublic(BaseModel):
    """A district default from its effective date."""

    model_config = examples({"district_id": "haidian", "effective_from": "2026-09-01", "settings": NATIONAL})

    district_id: DistrictId
    effective_from: WhenFrom
    settings: PolicySettings = Field(description="the district default: national values with the district's changes")


class AuditPublic(BaseModel):
    """PL-2: one profile change; `before` is what that scope had in force on `effective_from` until then."""

    model_config = examples(
        {
            "audit_id": 17,
            "scope": "school",
            "district_id": "haidian",
            "school_id": "sy-xiaoxue",
            "effective_from": "2026-12-01",
            "actor": "s-admin",
            "actor_role": "school_admin",
            "at": "2026-11-25T03:12:00Z",
            "before": {},
            "after": {"extended_care_end_winter": "17:20:00", "offers_bus": True},
        }
    )

    audit_id: int = Field(description="the entry's number, in the order changes were made")
    scope: Scope
    district_id: DistrictId
    school_id: str | None = Field(description="the school whose overrides changed; null for a district change")
    effective_from: WhenFrom
    actor: ProfileActor
    actor_role: str = Field(description="the role they acted in: school_admin or district_operator")
    at: datetime = Field(description="when the change was made, an instant with its UTC offset")
    before: dict[str, Any] | None = Field(description="the scope's values in force on that date until then; null: none")
    after: dict[str, Any] = Field(description="the scope's values from that date")


def _district(principal: Principal) -> str:
    if principal.district_id is None:
        raise Forbidden("this token is not bound to a district")
    return principal.district_id


async def _readable_school(session: AsyncSession, principal: Principal, school_id: str | None) -> School:
    """The school the caller may read: their own, or (district operators) a school of their district."""
    if principal.role is Role.DISTRICT_OPERATOR:
        if school_id is None:
            raise Unprocessable("a district operator names the school with ?school_id=")
        school = await session.get(School, school_id)
        if school is None or school.district_id != _district(principal):
            raise NotFound(f"no school '{school_id}' in this district")
        return school
    own = principal.school()
    school = await session.get(School, own) if school_id in (None, own) else None
    if school is None:
        raise NotFound(f"no school '{school_id or own}' for this caller")
    return school


@router.put("/district", response_model=ProfileChangePublic, dependencies=[IDEMPOTENT])
async def put_district_default(
    body: DistrictDefaultBody, request: Request, runtime: RuntimeDep, principal: DistrictOperator
) -> JSONResponse:
    """PL-1/PL-2: publish the district default from a date (today or later); every school of the district follows."""
    set_default = partial(handlers.set_district_default, district_id=_district(principal), by=principal)
    return await once_answering(request, runtime, principal, body, set_default, body, ProfileChangePublic, status=200)


@router.put("/school", response_model=ProfileChangePublic, dependencies=[IDEMPOTENT])
async def put_school_overrides(
    body: SchoolOverridesBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """PL-1/PL-2: set the caller's school's overrides from a date (today or later)."""
    set_overrides = partial(handlers.set_school_overrides, school_id=principal.school(), by=principal)
    return await once_answering(request, runtime, principal, body, set_overrides, body, ProfileChangePublic, status=200)


@router.get("/in-force", response_model=InForcePublic)
async def get_in_force(
    on: Annotated[date, Query(description="the day (the school's local date)")],
    runtime: RuntimeDep,
    principal: AnyStaffOrDistrictOperator,
    school_id: SchoolQuery = None,
) -> InForcePublic:
    """PL-1: the school's resolved settings in force on a day."""
    async with runtime.db.sessions() as session:
        school = await _readable_school(session, principal, school_id)
        settings = await store.settings_in_force(session, school_id=school.school_id, on=on)
    return InForcePublic(school_id=school.school_id, on=on, settings=settings)


@router.get("/history", response_model=Page[ResolvedPublic])
async def get_history(
    runtime: RuntimeDep, principal: AnyStaffOrDistrictOperator, page: Paging, school_id: SchoolQuery = None
) -> Page[ResolvedPublic]:
    """PL-1: the school's resolved change points as last published, oldest first (cursor: a date)."""
    after = page.after_value(date)
    async with runtime.db.sessions() as session:
        school = await _readable_school(session, principal, school_id)
        rows = await store.history_page(session, school_id=school.school_id, after=after, limit=page.limit)
    return page_of_rows(ResolvedPublic, rows, page, lambda r: r.effective_from)


@router.get("/district", response_model=Page[DistrictDefaultPublic])
async def get_district_defaults(
    runtime: RuntimeDep, principal: DistrictOperator, page: Paging
) -> Page[DistrictDefaultPublic]:
    """PL-1: the caller's district defaults, oldest first (cursor: a date)."""
    after = page.after_value(date)
    async with runtime.db.sessions() as session:
        rows = await store.district_page(session, district_id=_district(principal), after=after, limit=page.limit)
    return page_of_rows(DistrictDefaultPublic, rows, page, lambda r: r.effective_from)


@router.get("/audit", response_model=Page[AuditPublic])
async def get_audit(
    runtime: RuntimeDep, principal: AdminOrDistrictOperator, page: Paging, school_id: SchoolQuery = None
) -> Page[AuditPublic]:
    """PL-2: profile changes, oldest first: a school's with its district's, or (operators) the whole district's."""
    after = page.after_value(int)
    async with runtime.db.sessions() as session:
        if principal.role is Role.DISTRICT_OPERATOR and school_id is None:
            district_id, only = _district(principal), None
        else:
            school = await _readable_school(session, principal, school_id)
            district_id, only = school.district_id, school.school_id
        rows = await store.audit_page(session, district_id=district_id, school_id=only, after=after, limit=page.limit)
    return page_of_rows(AuditPublic, rows, page, lambda r: r.audit_id)
