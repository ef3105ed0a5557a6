"""What every homework route shares: ids and bodies as requests carry them, who may call (by role), the
`day|id` page cursor, and the command answered at most once per `Idempotency-Key`.

Who may see which class or child is `store.class_for` / `store.student_for`, beside the copies they read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chassis.app import Runtime
from chassis.auth import Principal, Role, require
from chassis.idempotency import respond_once
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]

SubjectTeacher = Annotated[Principal, require(Role.SUBJECT_TEACHER)]
ServiceTeacher = Annotated[Principal, require(Role.SERVICE_TEACHER)]
ClassCoordinator = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SCHOOL_ADMIN)]
Staff = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN)]
StaffOrGuardian = Annotated[
    Principal,
    require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.GUARDIAN),
]
TEACHERS = frozenset({Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER})


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


async def once(
    request: Request, runtime: Runtime, principal: Principal, body: BaseModel, act: Any, *, status: int = 201
) -> JSONResponse:
    """Run a command in one unit of work, at most once per `Idempotency-Key`, answering `status` and its JSON."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        return status, await act(uow)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), action)


def day_cursor(after: str | None) -> tuple[date, str] | None:
    """A `day|id` page cursor, parsed (422 when malformed)."""
    if after is None:
        return None
    day, _, item_id = after.partition("|")
    try:
        return date.fromisoformat(day), item_id
    except ValueError as error:
        raise Unprocessable("a malformed page cursor") from error
