"""HTTP building blocks of the dismissal slice: callers as actors, and who may see which child."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.auth import Principal, Role, require
from chassis.problems import NotFound
from services.attendance.dismissal.checkouts import Actor
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
DeviceId = Annotated[str, Field(min_length=1, max_length=128)]
Place = Annotated[str, Field(min_length=1, max_length=64)]
Day = Annotated[str, Query(alias="date", pattern=r"^\d{4}-\d{2}-\d{2}$", description="the school's local date")]

STAFF_ROLES = (Role.SERVICE_TEACHER, Role.CLASS_TEACHER, Role.DUTY_LEADER, Role.SCHOOL_ADMIN)
Staff = Annotated[Principal, require(*STAFF_ROLES)]
DeviceOrStaff = Annotated[Principal, require(Role.KIOSK, *STAFF_ROLES)]
AnyCheckOutCaller = Annotated[Principal, require(Role.KIOSK, Role.GUARDIAN, *STAFF_ROLES)]
StaffOrGuardian = Annotated[Principal, require(Role.GUARDIAN, *STAFF_ROLES)]
DutyLeader = Annotated[Principal, require(Role.DUTY_LEADER)]
Clearers = Annotated[Principal, require(Role.DUTY_LEADER, Role.SCHOOL_ADMIN)]


async def actor_of(session: AsyncSession, principal: Principal) -> Actor:
    """The caller as the check-out rules see them; a class teacher acts only for their own classes."""
    if principal.role is Role.KIOSK:
        return Actor("kiosk", principal.subject)
    if principal.role is Role.GUARDIAN:
        return Actor("guardian", principal.subject)
    if principal.role is Role.CLASS_TEACHER:
        classes = await ref.classes_of_teacher(session, school_id=principal.school(), staff_id=principal.subject)
        return Actor("staff", principal.subject, tuple(classes))
    return Actor("staff", principal.subject)


async def visible_child(session: AsyncSession, principal: Principal, student_id: str) -> RosterStudent:
    """The child if the caller may see them (their school; a guardian's own child; a class teacher's class)."""
    child = await ref.student(session, school_id=principal.school(), student_id=student_id)
    actor = await actor_of(session, principal)
    visible = child is not None and (actor.class_ids is None or child.class_id in actor.class_ids)
    if visible and principal.role is Role.GUARDIAN:
        visible = await ref.is_guardian_of(session, guardian_id=principal.subject, student_id=student_id)
    if child is None or not visible:
        raise NotFound(f"no student '{student_id}' here")
    return child
