"""Liveness, readiness and Prometheus metrics for every service, plus request metrics and trace ids."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.trace import SpanKind, Tracer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.logs import new_traceparent, trace_id_of, trace_id_var
from chassis.metrics import DB_POOL, DEPENDENCY_UP, HTTP_LATENCY, HTTP_REQUESTS, LIVE_LISTENERS
from chassis.tracing import parent_of, span

access = logging.getLogger("afterschool.access")


CHECK_DEADLINE = 1.5
"""Seconds every dependency check together may take: under the probes' 3 s timeout, whatever hangs."""


def ops_router() -> APIRouter:
    """`/healthz`, `/readyz` and `/metrics` (kept out of the OpenAPI document)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        """Alive while it answers; the details say how each dependency is doing (and set the metric alerts read)."""
        return {"status": "ok", "checks": await dependencies(request.app.state.runtime)}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready while the database answers: with Kafka or Redis down a write still commits, its events wait in the
        outbox, so taking the pod out of the Service would only turn kiosks' 201s into 503s."""
        checks = await dependencies(request.app.state.runtime, only=("database",))
        ok = checks["database"] == "ok"
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def dependencies(runtime: Any, only: tuple[str, ...] | None = None) -> dict[str, str]:
    """Check the database, the bus and Redis (when configured) at once, under one deadline; "ok" or why not each.
    Each result also sets `afterschool_dependency_up`."""
    probes: dict[str, Any] = {"database": runtime.db.ping, "bus": runtime.bus.ping}
    if runtime.redis is not None:
        probes["redis"] = runtime.redis.ping
    tasks = {name: asyncio.ensure_future(probe()) for name, probe in probes.items() if only is None or name in only}
    _done, pending = await asyncio.wait(tasks.values(), timeout=CHECK_DEADLINE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    results: dict[str, str] = {}
    for name, task in tasks.items():
        if task in pending:
            results[name] = f"failed: no answer within {CHECK_DEADLINE} s"
        elif (error := task.exception()) is not None:
            results[name] = f"failed: {type(error).__name__}"
        else:
            results[name] = "ok"
        DEPENDENCY_UP.labels(runtime.name, name).set(1 if results[name] == "ok" else 0)
    return results


_OPS_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


def _tracer_of(scope: Scope) -> Tracer | None:
    runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
    return getattr(runtime, "tracer", None)


SAMPLE_EVERY_SECONDS = 5.0


async def sample_runtime(runtime: Any) -> None:
    """Every few seconds, the database pool's connections and the open live streams, as gauges."""
    pool = runtime.db.engine.pool
    while True:
        DB_POOL.labels(runtime.name, "in_use").set(pool.checkedout())
        DB_POOL.labels(runtime.name, "idle").set(pool.checkedin())
        LIVE_LISTENERS.labels(runtime.name).set(runtime.broadcaster.listening())
        await asyncio.sleep(SAMPLE_EVERY_SECONDS)


class RequestMetrics:
    """Counts and times each request by route template and status, binds the trace id for the logs, and writes
    the access log: method, route template, status and duration, never the path's ids, a body or a token."""

    def __init__(self, app: ASGIApp, service: str, access_log: bool = True) -> None:
        self.app, self.service, self.access_log = app, service, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Not a dict of the headers: this frame lives as long as the request, and a stream's is open for hours.
        incoming = next((v for k, v in scope.get("headers") or () if k == b"traceparent"), b"").decode()
        token = trace_id_var.set(trace_id_of(incoming or new_traceparent()))
        status = 500
        started = time.perf_counter()
        method = scope["method"]
        tracer = None if scope.get("path") in _OPS_PATHS else _tracer_of(scope)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with span(tracer, method, kind=SpanKind.SERVER, parent=parent_of(incoming) if tracer else None) as server:
            if server is not None:  # the logs carry the trace the spans are in
                trace_id_var.set(f"{server.get_span_context().trace_id:032x}")
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                if server is not None:
                    server.update_name(f"{method} {template}")
                    server.set_attributes({"http.request.method": method, "http.route": template})
                    server.set_attribute("http.response.status_code", status)
                if template not in _OPS_PATHS:
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
