"""HTTP building blocks every service's routes share: ids, bodies, pages, role guards, the idempotent POST and
the headers of a superseded version."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chassis.app import Runtime
from chassis.auth import Principal, Role, require
from chassis.clock import SCHOOL_TZ
from chassis.idempotency import respond_once
from chassis.pagination import PageParams, page_params
from chassis.uow import UnitOfWork

C = TypeVar("C")

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
"""An id in a path or body: short, printable, and safe in a log line or a page cursor."""
Name = Annotated[str, Field(min_length=1, max_length=100)]
NewId = Annotated[
    Id | None,
    Field(
        description="the school's own code for it (e.g. its spreadsheets' id), unique per school and kind: the stored "
        "id is derived from the school and this code (so no other school's ids show through), and the code is kept "
        "as `external_id`; a new id is drawn when absent"
    ),
]

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _in_service_years(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a date between {FIRST_DAY} and {LAST_DAY}")
    return day


def _calendar_date(text: str) -> str:
    try:
        _in_service_years(date.fromisoformat(text))
    except ValueError as error:
        raise ValueError(f"a calendar date YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY}") from error
    return text


SchoolDate = Annotated[date, AfterValidator(_in_service_years)]
"""A school's date: a real calendar date in the years a school day can fall in (9999-12-27 is a 422, not a 500)."""
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_calendar_date)]
"""A school's date kept as its ISO text: 2026-13-45 matches the pattern but is a 422, not a 500."""
Reason = Annotated[str, Field(min_length=1, max_length=500)]

Paging = Annotated[PageParams, Depends(page_params)]
"""The `?limit=&after=` page a list route is asked for (keyset, chassis/pagination.py)."""

# A v1 route whose answer changed shape in v2 stays until the end of the school year, saying so on every answer.
SUPERSEDED_SINCE = datetime(2026, 12, 5, tzinfo=UTC)
SUNSET = datetime(2027, 8, 31, 23, 59, 59, tzinfo=SCHOOL_TZ)


def superseded_by(successor: str, *, since: datetime = SUPERSEDED_SINCE, sunset: datetime = SUNSET) -> dict[str, Any]:
    """Route options of a deprecated version: `deprecated` in OpenAPI, and on each answer `Deprecation` (RFC 9745),
    `Sunset` (RFC 8594) and a `Link` to the successor (`rel="successor-version"`)."""

    def announce(response: Response) -> None:
        response.headers["Deprecation"] = f"@{int(since.timestamp())}"
        response.headers["Sunset"] = format_datetime(sunset.astimezone(UTC), usegmt=True)
        response.headers["Link"] = f'<{successor}>; rel="successor-version"'

    return {"deprecated": True, "dependencies": [Depends(announce)]}


# One guard per role; a route that admits several roles names the set by what it allows, in its slice.
Guardian = Annotated[Principal, require(Role.GUARDIAN)]
ClassTeacher = Annotated[Principal, require(Role.CLASS_TEACHER)]
ServiceTeacher = Annotated[Principal, require(Role.SERVICE_TEACHER)]
SubjectTeacher = Annotated[Principal, require(Role.SUBJECT_TEACHER)]
DutyLeader = Annotated[Principal, require(Role.DUTY_LEADER)]
SchoolAdmin = Annotated[Principal, require(Role.SCHOOL_ADMIN)]
DistrictOperator = Annotated[Principal, require(Role.DISTRICT_OPERATOR)]


# C0 controls but tab and line breaks, and DEL: PostgreSQL refuses NUL in text, and none belongs in a name or note.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value: Any, where: str) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError(f"{where or 'the body'}: text may not hold control characters (NUL, U+0001–U+001F)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key, where)
            _refuse_control_characters(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_control_characters(item, f"{where}[{index}]")


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored, and text holding
    control characters (issue 11: the chassis's one input layer, used by every route's body)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _printable_text(cls, data: Any) -> Any:
        _refuse_control_characters(data, "")
        return data


class Create(Body):
    """Creation bodies; `id` may give the school's own code for the row (e.g. from its spreadsheets)."""

    id: NewId = None


def dump(model: type[BaseModel], row: object) -> dict[str, Any]:
    """A row as the JSON of its public model."""
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


async def once(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    body: BaseModel,
    act: Callable[[UnitOfWork], Awaitable[Any]],
    *,
    status: int = 201,
) -> JSONResponse:
    """Run a command in one unit of work, at most once per `Idempotency-Key`, answering `status` and its JSON."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        return status, await act(uow)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), action)


async def once_answering(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    body: BaseModel,
    handle: Callable[[UnitOfWork, C], Awaitable[object]],
    command: C,
    answer: type[BaseModel],
    *,
    status: int = 201,
) -> JSONResponse:
    """`once` for the common route: run `handle(uow, command)` and answer the row it returns as `answer`'s JSON."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        return status, dump(answer, await handle(uow, command))

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), action)
