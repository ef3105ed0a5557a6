"""Liveness, readiness and Prometheus metrics for every service, plus request metrics and trace ids."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.logs import new_traceparent, trace_id_of, trace_id_var
from chassis.metrics import HTTP_LATENCY, HTTP_REQUESTS

access = logging.getLogger("afterschool.access")


def ops_router() -> APIRouter:
    """`/healthz`, `/readyz` and `/metrics` (kept out of the OpenAPI document)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = await readiness(request.app.state.runtime)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def readiness(runtime: Any) -> dict[str, str]:
    """Check the database, the bus and Redis (when configured), each within two seconds."""
    probes: dict[str, Any] = {"database": runtime.db.ping(), "bus": runtime.bus.ping()}
    if runtime.redis is not None:
        probes["redis"] = runtime.redis.ping()
    results: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            async with asyncio.timeout(2.0):
                await probe
            results[name] = "ok"
        except Exception as error:
            results[name] = f"failed: {type(error).__name__}"
    return results


class RequestMetrics:
    """Counts and times each request by route template and status, binds the trace id for the logs, and writes
    the access log: method, route template, status and duration, never the path's ids, a body or a token."""

    def __init__(self, app: ASGIApp, service: str, access_log: bool = True) -> None:
        self.app, self.service, self.access_log = app, service, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        traceparent = headers.get(b"traceparent", b"").decode() or new_traceparent()
        token = trace_id_var.set(trace_id_of(traceparent))
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            if template not in {"/metrics", "/healthz", "/readyz"}:
                method = scope["method"]
                HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
                elapsed = time.perf_counter() - started
                HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
                if self.access_log:
                    fields = {"method": method, "route": template, "status": status, "ms": round(elapsed * 1000, 1)}
                    access.info("%s %s %s", method, template, status, extra=fields)
            trace_id_var.reset(token)


def install_observability(app: FastAPI, service: str, *, access_log: bool = True) -> None:
    """Ops routes at the root, for probes and Prometheus (the ingress routes only `/<service>/…` to a pod)."""
    app.include_router(ops_router())
    app.add_middleware(RequestMetrics, service=service, access_log=access_log)
