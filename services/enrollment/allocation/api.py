"""HTTP routes of allocation runs under `/enrollment/v1` (EN-3, BX-1): run a term's lottery, and show a run.

Only an admin of the term's school runs or reads them; another school's runs answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.http import Body, Id, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.enrollment.allocation import handlers as runs
from services.enrollment.allocation import store
from services.enrollment.store import in_school

router = APIRouter(prefix="/enrollment/v1", tags=["applications"])


class RunCreate(Body):
    """EN-3: allocate a term's club places; a seed makes the lottery reproducible (a new one is drawn if absent)."""

    term_id: Id
    seed: int | None = Field(default=None, ge=0, lt=2**63)


class RunPublic(BaseModel):
    """EN-3: a recorded allocation run: seed, inputs, result, and whether re-running it gives the same result."""

    run_id: str
    school_id: str
    term_id: str
    seed: int
    by: str
    at: datetime
    inputs: dict[str, Any]
    result: dict[str, Any]
    allocated: int
    waitlisted: int
    reproduced: bool


def _run_public(run: store.AllocationRun) -> RunPublic:
    return RunPublic(
        run_id=run.run_id,
        school_id=run.school_id,
        term_id=run.term_id,
        seed=run.seed,
        by=run.by,
        at=run.at,
        inputs=run.inputs,
        result=run.result,
        allocated=sum(len(s) for s in run.result["places"].values()),
        waitlisted=sum(len(s) for s in run.result["waitlists"].values()),
        reproduced=runs.rerun(run) == run.result,
    )


@router.post("/allocation-runs", status_code=201, response_model=RunPublic, dependencies=[IDEMPOTENT])
async def post_allocation_run(
    body: RunCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-3/BX-1: allocate the term's free club places (→ ClubPlaceAllocated / ClubPlaceWaitlisted per child,
    AllocationRunCompleted); the seed is recorded."""
    command = runs.RunAllocation(
        school_id=principal.school(), term_id=body.term_id, by=principal.subject, seed=body.seed
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return _run_public(await runs.run_allocation(uow, command)).model_dump(mode="json")

    return await once(request, runtime, principal, body, act)


@router.get("/allocation-runs/{run_id}", response_model=RunPublic)
async def get_allocation_run(run_id: str, runtime: RuntimeDep, principal: SchoolAdmin) -> RunPublic:
    """EN-3: a run's seed, inputs and result, re-run on the spot to show it reproduces."""
    async with runtime.db.sessions() as session:
        run = await in_school(session, store.AllocationRun, school_id=principal.school(), key=run_id)
    if run is None:
        raise NotFound(f"no allocation run '{run_id}' in this school")
    return _run_public(run)
