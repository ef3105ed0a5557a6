"""HTTP route of a guardian's export under `/enrollment/v1/me/export` (PIPL): their own family only."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.app import RuntimeDep
from chassis.http import Guardian
from chassis.problems import NotFound
from chassis.records import from_fields
from services.enrollment import store as shared
from services.enrollment.data_rights import store
from services.enrollment.data_rights.schemas import (
    ExportedApplication,
    ExportedChild,
    ExportedGuardian,
    ExportedPickup,
    FamilyExport,
)
from services.enrollment.domain import roster
from services.enrollment.pickups import store as pickups

router = APIRouter(prefix="/enrollment/v1", tags=["privacy"])


ELSEWHERE = {
    "attendance": ["/attendance/v1/leave-requests", "/attendance/v1/students/{student_id}/dismissal-plan"],
    "homework": ["/homework/v1/students/{student_id}/homework"],
    "stipend": [
        "/stipend/v1/family-statements/{month}/students/{student_id}",
        "/stipend/v1/family-accounts/students/{student_id}",
    ],
    "notify": ["/notify/v2/notifications", "/notify/v1/preferences"],
}


@router.get(
    "/me/export",
    response_model=FamilyExport,
    responses={404: {"description": "the token's guardian has no record in its school"}},
)
async def get_my_export(runtime: RuntimeDep, principal: Guardian) -> FamilyExport:
    """PIPL: the calling guardian's own data and their children's, as enrollment holds it (a family's copy)."""
    async with runtime.db.sessions() as session:
        guardian = await shared.in_school(session, shared.Guardian, school_id=principal.school(), key=principal.subject)
        if guardian is None:
            raise NotFound("no guardian record for this caller")
        children = []
        for link, student in await store.children_of(session, guardian_id=guardian.guardian_id):
            permission = await session.get(pickups.WalkHomePermission, student.student_id)
            people = await pickups.pickups_of(session, student_id=student.student_id)
            applications = await store.applications_of(session, student_id=student.student_id)
            children.append(
                from_fields(
                    ExportedChild,
                    student,
                    relation=link.relation,
                    priority_groups=list(student.priority_groups),
                    walk_home_allowed=permission.allowed if permission else None,
                    pickups=[_exported_pickup(p) for p in people if p.status != roster.REMOVED],
                    applications=[ExportedApplication.model_validate(a, from_attributes=True) for a in applications],
                )
            )
    return FamilyExport(
        exported_at=runtime.clock.now(),
        guardian=ExportedGuardian.model_validate(guardian, from_attributes=True),
        children=children,
        elsewhere=ELSEWHERE,
    )


def _exported_pickup(person: shared.PickupPerson) -> ExportedPickup:
    return from_fields(ExportedPickup, person, id_number=roster.masked_id_number(person.id_number))
