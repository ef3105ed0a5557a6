"""Running a route's command once per `Idempotency-Key`, in one unit of work (every enrollment router)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from chassis.app import RuntimeDep
from chassis.auth import Principal
from chassis.idempotency import respond_once
from chassis.uow import UnitOfWork


async def once(
    request: Request,
    runtime: RuntimeDep,
    principal: Principal,
    body: BaseModel,
    act: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
    *,
    status: int = 201,
) -> JSONResponse:
    """Run a command in one unit of work, at most once per `Idempotency-Key`, answering `status` and its JSON."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        return status, await act(uow)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), action)
