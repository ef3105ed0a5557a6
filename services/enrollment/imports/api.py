"""HTTP routes of bulk roster import under `/enrollment/v1` (EN-8)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.clock import school_today
from chassis.http import Body, SchoolAdmin, dump, once
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.problems import NotFound, Problem, Unprocessable
from chassis.uow import UnitOfWork
from services.enrollment.domain.imports import Kind, column_docs
from services.enrollment.fields import Created, SchoolId
from services.enrollment.imports import handlers, store
from services.enrollment.imports.handlers import CSV, MEDIA_TYPES, XLSX

router = APIRouter(prefix="/enrollment/v1", tags=["imports"])

MAX_BYTES = 20 * 1024 * 1024

DESCRIPTION = f"""EN-8: import a roster file as the school keeps it, CSV (UTF-8 or GB18030) or XLSX (first sheet).

Send the file itself as the request body with `Content-Type: {CSV}` or `{XLSX}`. The first row names
the columns, in Chinese or English (any order; unknown columns are ignored and listed in the report):

{column_docs()}

Rows are matched by their own id (学号, 班级编号, 家长编号, 接送人编号): a new id adds, a changed row updates and
publishes what changed (a new class is `StudentTransferred`, a new link `GuardianLinked`, …), an unchanged row does
nothing, so re-importing a file changes nothing. Nothing is deleted by an import. A student's 班级 is a class id or
a class's unique name; priority groups (EN-3) are listed with `;` or `、` (留守儿童, 进城务工人员随迁子女, 单亲家庭,
残疾儿童, 家庭经济困难); a guardian row with 学号 and 关系 links the guardian to that child; a pickups row of 类型
禁止 (restricted) records a custody-order restriction whose 备注 stays in enrollment (BX-2).

If any row is broken the answer is a 422 problem whose `report.errors` lists every (row, column, value, message)
and nothing is imported. Otherwise the answer is 202 with a job: follow `GET /enrollment/v1/imports/{{job_id}}`
for its progress (`rows_done` of `rows_total`) and its final report. The whole file is applied in one transaction.
"""


class ImportRequest(Body):
    """What identifies an upload for Idempotency-Key: its kind, type, date and the file's digest."""

    kind: Kind
    media_type: str
    effective_on: date
    sha256: str


class ImportJobPublic(BaseModel):
    """An import job: running, succeeded or failed; its progress and report."""

    model_config = examples(
        {
            "job_id": "5f0c2a7e-9d1b-4c8e-a3f6-2b7d9e1c4a10",
            "school_id": "sy-xiaoxue",
            "kind": "students",
            "status": "succeeded",
            "rows_total": 42,
            "rows_done": 42,
            "report": {
                "kind": "students",
                "rows": 42,
                "ignored_columns": ["备注"],
                "created": 3,
                "updated": 1,
                "unchanged": 38,
                "events": 4,
            },
            "created_by": "s-admin",
            "created_at": "2026-11-25T01:30:00Z",
            "finished_at": "2026-11-25T01:30:04Z",
        }
    )

    job_id: str = Field(description="the job's id; GET /imports/{job_id} follows it")
    school_id: SchoolId
    kind: str = Field(description="what the file lists: classes, students, guardians or pickups (EN-8)")
    status: str = Field(description="running, succeeded or failed")
    rows_total: int = Field(description="the file's data rows to apply")
    rows_done: int = Field(description="rows applied so far")
    report: dict[str, Any] | None = Field(
        default=None,
        description="once finished: rows, ignored_columns and created/updated/unchanged counts, or the row-by-row "
        "errors (row, column, value, message) of a failed job; null while running",
    )
    created_by: str = Field(description="the school admin who uploaded the file (token subject)")
    created_at: Created
    finished_at: datetime | None = Field(default=None, description="when it ended (UTC offset); null while running")


class PayloadTooLarge(Problem):
    """The upload is larger than this service accepts."""

    status, title = 413, "Content too large"


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            CSV: {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportJobPublic,
    description=DESCRIPTION,
    openapi_extra=_FILE_BODY,
    responses={422: {"description": "a broken file: the row-by-row report, nothing imported"}},
    dependencies=[IDEMPOTENT],
)
async def post_import(
    request: Request,
    runtime: RuntimeDep,
    principal: SchoolAdmin,
    kind: Annotated[Kind, Query(description="what the file lists: classes, students, guardians or pickups")],
    effective_on: Annotated[
        date | None, Query(description="date of the transfers and leavings it records; default today")
    ] = None,
) -> JSONResponse:
    """EN-8: check a roster file row by row and import it in the background (202 + job)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise Unprocessable(f"send the file as {CSV} or {XLSX}", rule="EN-8")
    content = await request.body()
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(f"a roster file is at most {MAX_BYTES // (1024 * 1024)} MiB")
    command = handlers.ImportRoster(
        school_id=principal.school(),
        kind=kind,
        media_type=media_type,
        body=content,
        effective_on=effective_on or school_today(runtime.clock),
        created_by=principal.subject,
    )
    identity = ImportRequest(
        kind=kind,
        media_type=media_type,
        effective_on=command.effective_on,
        sha256=hashlib.sha256(content).hexdigest(),
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(ImportJobPublic, await handlers.start_import(uow, runtime, command))

    return await once(request, runtime, principal, identity, act, status=202)


@router.get("/imports/{job_id}", response_model=ImportJobPublic)
async def get_import(job_id: str, runtime: RuntimeDep, principal: SchoolAdmin) -> ImportJobPublic:
    """An import job of the caller's school: status, rows total and done, and its report."""
    async with runtime.db.sessions() as session:
        job = await store.job_in_school(session, school_id=principal.school(), job_id=job_id)
    if job is None:
        raise NotFound(f"no import '{job_id}' in this school")
    return ImportJobPublic.model_validate(job, from_attributes=True)
