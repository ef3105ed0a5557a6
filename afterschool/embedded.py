"""All five services in one process on one port: SQLite files, the in-process bus, no Redis.

Each service keeps its own app, database file and consumer group, mounted at `/<service>/` exactly as the
Kubernetes ingress routes it, so the embedded mode runs the same code paths as the full stack. The web pages
(`web/`) are mounted at `/app/`; they call the services from the browser, on this same origin.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from afterschool.catalog import all_services
from chassis.bus.memory import MemoryBus
from chassis.clock import Clock
from chassis.observability import dependencies
from chassis.settings import PLACEHOLDER_SECRET
from web.app import DemoPerson, create_web_app
from web.settings import WebSettings


class AllInOne:
    """An ASGI app that routes `/<service>/…` to that service's app and runs all their lifespans."""

    def __init__(
        self,
        data_dir: Path,
        *,
        jwt_secret: str | None = None,
        clock: Clock | None = None,
        people: tuple[DemoPerson, ...] = (),
    ) -> None:
        self.bus = MemoryBus()
        self.apps: dict[str, FastAPI] = {}
        for name, definition in all_services().items():
            overrides: dict[str, Any] = {
                "database_url": f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}",
                "bus": "memory",
                "redis_url": None,
                "environment": "development",
            }
            if jwt_secret:
                overrides["jwt_secret"] = jwt_secret
            self.apps[name] = definition.create_app(definition.settings_class(**overrides), bus=self.bus, clock=clock)
        # Development mode: the sign-in page may mint tokens with the same secret the services check.
        web = WebSettings(environment="development", jwt_secret=jwt_secret or PLACEHOLDER_SECRET)
        self.web = create_web_app(web, people=people)

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        """Start every service (for tests that drive the app without a server)."""
        async with contextlib.AsyncExitStack() as stack:
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope.get("path", "/")
        first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        app = self.web if first == "app" else self.apps.get(first)
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await (await self._root(path))(scope, receive, send)

    async def _root(self, path: str) -> Response:
        if path == "/metrics":
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
        if path == "/healthz":
            details = {name: await dependencies(app.state.runtime) for name, app in self.apps.items()}
            return JSONResponse({"status": "ok", "checks": details})
        if path == "/readyz":  # as each service's: ready while the databases answer
            checks = {
                name: await dependencies(app.state.runtime, only=("database",)) for name, app in self.apps.items()
            }
            ok = all(v == "ok" for c in checks.values() for v in c.values())
            return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)
        if path == "/":
            services = {name: {"docs": f"/{name}/docs"} for name in self.apps}
            pages = {page: f"/app/{page}" for page in ("signin", "kiosk", "guardian", "teacher", "admin")}
            return JSONResponse({"services": services, "pages": pages})
        return JSONResponse({"title": "Not found", "status": 404}, 404, media_type="application/problem+json")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            async with self.running():
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
        except Exception as error:
            await send({"type": "lifespan.startup.failed", "message": repr(error)})
            raise
        await send({"type": "lifespan.shutdown.complete"})
