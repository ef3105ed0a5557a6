"""HTTP routes of allocation runs under `/enrollment/v1` (EN-3, BX-1): run a term's lottery, and show a run.

Only an admin of the term's school runs or reads them; another school's runs answer 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.http import Body, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.problems import NotFound
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from services.enrollment.allocation import handlers as runs
from services.enrollment.allocation import store
from services.enrollment.fields import Created, SchoolId, TermId, TermRef
from services.enrollment.store import in_school

router = APIRouter(prefix="/enrollment/v1", tags=["applications"])


class RunCreate(Body):
    """EN-3: allocate a term's club places; a seed makes the lottery reproducible (a new one is drawn if absent)."""

    model_config = examples({"term_id": "t-2026-1", "seed": 20261125})

    term_id: TermRef
    seed: int | None = Field(
        default=None, ge=0, lt=2**63, description="the lottery's seed (EN-3); give a recorded one to repeat a run"
    )


class RunPublic(BaseModel):
    """EN-3: a recorded allocation run: seed, inputs, result, and whether re-running it gives the same result."""

    model_config = examples(
        {
            "run_id": "run-2026-1-01",
            "school_id": "sy-xiaoxue",
            "term_id": "t-2026-1",
            "seed": 20261125,
            "by": "s-admin",
            "at": "2026-09-05T07:00:00Z",
            "inputs": {
                "max_sessions_per_week": 2,
                "clubs": [
                    {
                        "program_id": "pg-chess",
                        "capacity": 1,
                        "sessions_per_week": 1,
                        "min_grade": 3,
                        "max_grade": 6,
                        "taken": 0,
                    }
                ],
                "applicants": [
                    {
                        "student_id": "st-xiaohong",
                        "grade": 3,
                        "priority_groups": [],
                        "choices": ["pg-chess"],
                        "held": [],
                        "held_sessions": 0,
                    },
                    {
                        "student_id": "st-xiaoming",
                        "grade": 3,
                        "priority_groups": ["left_behind"],
                        "choices": ["pg-chess"],
                        "held": [],
                        "held_sessions": 0,
                    },
                ],
            },
            "result": {
                "order": ["st-xiaoming", "st-xiaohong"],
                "places": {"pg-chess": ["st-xiaoming"]},
                "waitlists": {"pg-chess": ["st-xiaohong"]},
            },
            "allocated": 1,
            "waitlisted": 1,
            "reproduced": True,
        }
    )

    run_id: str = Field(description="the run's id; places it gave name it (EN-3)")
    school_id: SchoolId
    term_id: TermId
    seed: int = Field(description="the lottery's seed, drawn if none was given; the same seed gives the same result")
    by: str = Field(description="the school admin who ran it (token subject)")
    at: Created
    inputs: dict[str, Any] = Field(
        description="what the run saw: max_sessions_per_week (EN-4), clubs (places left) and applicants"
    )
    result: dict[str, Any] = Field(
        description="the lottery order (priority groups first, EN-3), places and waitlists by program id"
    )
    allocated: int = Field(description="how many places the run gave")
    waitlisted: int = Field(description="how many waitlist entries the run made (BX-1)")
    reproduced: bool = Field(description="re-running the recorded inputs and seed today gives the recorded result")


def _run_public(run: store.AllocationRun) -> RunPublic:
    return from_fields(
        RunPublic,
        run,
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
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        run = await runs.run_allocation(
            uow, school_id=school_id, term_id=body.term_id, by=principal.subject, seed=body.seed
        )
        return _run_public(run).model_dump(mode="json")

    return await once(request, runtime, principal, body, act)


@router.get("/allocation-runs/{run_id}", response_model=RunPublic)
async def get_allocation_run(run_id: str, runtime: RuntimeDep, principal: SchoolAdmin) -> RunPublic:
    """EN-3: a run's seed, inputs and result, re-run on the spot to show it reproduces."""
    async with runtime.db.sessions() as session:
        run = await in_school(session, store.AllocationRun, school_id=principal.school(), key=run_id)
    if run is None:
        raise NotFound(f"no allocation run '{run_id}' in this school")
    return _run_public(run)
