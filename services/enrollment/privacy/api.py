"""HTTP route of the sensitive-read log under `/enrollment/v1/sensitive-reads`: the school admin's own school only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from chassis.app import RuntimeDep
from chassis.http import Paging, SchoolAdmin
from chassis.pagination import Page, page_of
from chassis.records import from_fields
from services.enrollment.privacy import store
from services.enrollment.privacy.schemas import SensitiveReadPublic
from services.enrollment.store import Student, stored_key

router = APIRouter(prefix="/enrollment/v1", tags=["privacy"])


@router.get("/sensitive-reads", response_model=Page[SensitiveReadPublic])
async def get_sensitive_reads(
    runtime: RuntimeDep,
    principal: SchoolAdmin,
    paging: Paging,
    student_id: Annotated[str | None, Query(max_length=64, description="one child's entries only")] = None,
) -> Page[SensitiveReadPublic]:
    """PIPL: who was shown which child's ID numbers or custody notes, newest first."""
    async with runtime.db.sessions() as session:
        student_id = await stored_key(session, Student, school_id=principal.school(), key=student_id)
        rows = await store.reads_of(
            session,
            school_id=principal.school(),
            student_id=student_id,
            after=paging.after_pair(datetime, str),
            limit=paging.limit,
        )
    items = [from_fields(SensitiveReadPublic, r, fields=r.fields.split(",")) for r in rows]
    return page_of(items, paging, lambda item: (item.read_at, item.read_id))
