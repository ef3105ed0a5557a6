"""The app factory: a service's definition plus settings become a FastAPI app whose lifespan owns every client."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import MetaData

from chassis.auth import TokenVerifier
from chassis.broadcast import Broadcaster, MemoryBroadcaster, RedisBroadcaster
from chassis.bus import Bus, build_bus
from chassis.clock import Clock, SteadyClock, SystemClock
from chassis.consumer import ConsumerRunner, Subscription
from chassis.crypto import FieldCipher, attach, reseal
from chassis.db import Database, wait_for
from chassis.lean import LeanRoutes, lean_routes
from chassis.limits import BodyLimit
from chassis.observability import install_observability, sample_runtime
from chassis.openapi import install_truthful_openapi
from chassis.outbox import OutboxRelay
from chassis.problems import install_problem_handlers
from chassis.ratelimit import RateLimiter
from chassis.retention import Retention
from chassis.settings import ServiceSettings
from chassis.streams import StreamPort, stream_asgi
from chassis.tables import ChassisTables
from chassis.tracing import TracedRedis, Tracing, trace_engine
from chassis.uow import UnitOfWork
from contracts.asyncapi import ASYNCAPI_PATH

log = logging.getLogger(__name__)
YOUNG_GENERATION = 50_000
S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes a service: its name, tables, migrations, routes and event subscriptions."""

    name: str
    metadata: MetaData
    tables: ChassisTables
    migrations: Path
    routers: Sequence[APIRouter]
    settings_class: type[ServiceSettings]
    subscription: Callable[[Runtime], Subscription] | None = None
    description: str = ""
    workers: Sequence[Callable[[Runtime], Coroutine[Any, Any, None]]] = ()
    """Long-running loops started with the service and cancelled at shutdown (e.g. a due-timer runner)."""
    field_cipher: Callable[[ServiceSettings], FieldCipher] | None = None
    """The key ring of the service's sealed columns (chassis/crypto.py), from its settings; None when it has none."""

    @property
    def dead_letter_topic(self) -> str:
        """Where this service parks events it cannot handle."""
        return f"{self.name}.deadletters"

    def topics(self, subscription: Subscription | None) -> list[str]:
        """Every topic this service writes or reads."""
        return sorted({f"{self.name}.events", self.dead_letter_topic, *(subscription.topics if subscription else [])})

    def create_app(
        self,
        settings: ServiceSettings | None = None,
        *,
        bus: Bus | None = None,
        clock: Clock | None = None,
        span_exporter: SpanExporter | None = None,
    ) -> FastAPI:
        """The service's app; settings default to the service's environment variables."""
        return create_app(self, settings or self.settings_class(), bus=bus, clock=clock, span_exporter=span_exporter)


@dataclass
class Runtime:
    """Everything a running service holds, built in the lifespan and reachable from every request."""

    name: str
    settings: ServiceSettings
    db: Database
    tables: ChassisTables
    bus: Bus
    redis: Redis | None
    clock: Clock
    verifier: TokenVerifier
    broadcaster: Broadcaster
    relay: OutboxRelay
    limiter: RateLimiter
    tracer: Tracer | None = None
    consumers: list[ConsumerRunner] = field(default_factory=list)

    def settings_as(self, kind: type[S]) -> S:
        """The settings, typed as the service's own settings class."""
        if not isinstance(self.settings, kind):
            raise TypeError(f"{self.name} runs with {type(self.settings).__name__}, not {kind.__name__}")
        return self.settings

    def uow(self) -> UnitOfWork:
        """A new unit of work on this service's database."""
        return UnitOfWork(
            self.db,
            self.tables,
            service=self.name,
            clock=self.clock,
            on_publish=self.relay.wake,
            broadcaster=self.broadcaster,
        )


async def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency: the running service (async, so FastAPI does not hop to a worker thread for it)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def create_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    span_exporter: SpanExporter | None = None,
) -> FastAPI:
    """Build the service app; pass `bus` to share one (embedded mode), `clock` to drive time in tests, and
    `span_exporter` to take its spans (tests; else `<P>OTLP_ENDPOINT`, if set)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            tracing = _tracing(definition.name, settings, span_exporter)
            if tracing is not None:
                stack.callback(tracing.shutdown)
            tracer = tracing.tracer if tracing is not None else None
            app.state.runtime = await _start_runtime(
                definition, settings, bus, clock or clock_of(settings), stack, tracer
            )
            # What is alive now (modules, the app, clients: some 300,000 objects) lives as long as the service:
            # kept out of the cyclic collector's full passes, which otherwise walk it all each time a consumer
            # batch or a month's close leaves enough new objects (issue 9: a third of the ingest's time).
            gc.freeze()
            stack.callback(gc.unfreeze)
            # A young generation of 50,000 objects instead of 700: a 10,000-stream broadcast makes that many in a
            # burst, and the default threshold walked them in collections of 1.6-5 s under load (issue 10: p99 of
            # the last stream 6.8 s -> 4.1 s in one run; docs/measurements.md).
            gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
            routes = lean_routes(app.routes)
            if settings.stream_port is not None and routes:
                port = StreamPort(app, stream_asgi(routes, definition.name, access_log=settings.access_log))
                app.state.stream_port = await port.start(settings.stream_host, settings.stream_port)
                stack.push_async_callback(port.stop)
            yield

    events = f"/{definition.name}/asyncapi.json"
    app = FastAPI(
        title=f"afterschool {definition.name}",
        description=f"{definition.description}\n\nEvents (BX-8): the AsyncAPI 3 document of every published event, "
        f"[{events}]({events}).",
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"/{definition.name}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app, definition.name)
    install_problem_handlers(app)
    for router in definition.routers:
        app.include_router(router)
    app.add_middleware(BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    # Between the two: a lean route reads no body, and is counted, timed and logged like every route.
    app.add_middleware(LeanRoutes, routes=lean_routes(app.routes))
    install_observability(
        app, definition.name, access_log=settings.access_log
    )  # outermost: refused bodies are counted too
    install_truthful_openapi(app)
    return app


def install_docs(app: FastAPI, name: str) -> None:
    """`/<name>/docs`: the API page, its Swagger UI assets served from the installed `fastapi-offline` package
    (FastAPI's default page loads them from a public CDN, so it renders blank on a machine without internet); and
    `/<name>/asyncapi.json`, the events' document the page links to."""
    assets = f"/{name}/docs-assets"
    app.mount(assets, StaticFiles(directory=str(files("fastapi_offline") / "static")), name=f"{name}-docs-assets")

    @app.get(f"/{name}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"/{name}/openapi.json",
            title=f"afterschool {name}",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    @app.get(f"/{name}/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> Response:
        """BX-8: the AsyncAPI 3 document of every published event (`contracts/asyncapi.json`), linked from the docs."""
        return Response(ASYNCAPI_PATH.read_bytes(), media_type="application/json")


def clock_of(settings: ServiceSettings) -> Clock:
    """The wall clock, or a steady clock from the pinned start that tests and the demo set (`<P>CLOCK_START`)."""
    return SteadyClock(settings.clock_start) if settings.clock_start is not None else SystemClock()


async def _start_runtime(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    shared_bus: Bus | None,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
    tracer: Tracer | None = None,
) -> Runtime:
    bus = shared_bus or build_bus(settings, client_id=definition.name)  # first: it refuses what production must not run
    db = Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    stack.push_async_callback(_bounded, db.dispose, "database pool")
    await wait_for(db)
    if tracer is not None:
        trace_engine(db.engine, tracer, "sqlite" if db.is_sqlite else "postgresql")
    if settings.migrate_on_start:
        await db.migrate(definition.migrations)
    else:
        await db.require_head(definition.migrations)
    if definition.field_cipher is not None:
        attach(db.engine, definition.field_cipher(settings))
        if resealed := await reseal(db.engine, definition.metadata):
            log.info("%s: sealed %d values under the current field key", definition.name, resealed)

    if shared_bus is None:
        await bus.start()
        stack.push_async_callback(bus.stop)

    redis: TracedRedis | None = None
    if settings.redis_url:
        redis = cast(
            TracedRedis,
            TracedRedis.from_url(
                settings.redis_url,
                socket_timeout=2.0,
                socket_connect_timeout=2.0,
                # After a Redis restart every pooled connection is dead and would fail its next command once (redis-py
                # retries nothing for a client made from a URL): one immediate retry on a new connection instead, so
                # no rate-limit check, cached answer or live push is lost per pooled connection (tests/fault).
                retry=Retry(NoBackoff(), 1),
                max_connections=settings.redis_max_connections,
            ),
        )
        redis.tracer = tracer
        stack.push_async_callback(_bounded, redis.aclose, "redis pool")
    broadcaster: Broadcaster = (
        RedisBroadcaster(redis, settings.redis_namespace, settings.live_queue_size)
        if redis is not None
        else MemoryBroadcaster(settings.live_queue_size)
    )
    stack.push_async_callback(_bounded, broadcaster.close, "live broadcaster")

    relay = OutboxRelay(
        db,
        definition.tables,
        bus,
        service=definition.name,
        clock=clock,
        send_timeout=settings.send_timeout_seconds,
        tracer=tracer,
        retention=Retention.of(settings),
    )
    runtime = Runtime(
        name=definition.name,
        settings=settings,
        db=db,
        tables=definition.tables,
        bus=bus,
        redis=redis,
        clock=clock,
        verifier=TokenVerifier(settings),
        broadcaster=broadcaster,
        relay=relay,
        limiter=RateLimiter(redis, clock, settings.redis_namespace),
        tracer=tracer,
    )
    subscription = definition.subscription(runtime) if definition.subscription is not None else None
    if settings.kafka_create_topics or settings.bus == "memory":
        await bus.ensure_topics(dict.fromkeys(definition.topics(subscription), settings.kafka_partitions))

    tasks = [
        asyncio.create_task(relay.run(), name=f"{definition.name}-relay"),
        asyncio.create_task(sample_runtime(runtime), name=f"{definition.name}-gauges"),
    ]
    if subscription is not None:
        runner = ConsumerRunner(
            bus,
            subscription,
            service=definition.name,
            group=definition.name,
            uow=runtime.uow,
            dead_letter_topic=definition.dead_letter_topic,
            max_attempts=settings.consumer_max_attempts,
            backoff=settings.consumer_backoff_seconds,
            tracer=tracer,
            clock=clock,
        )
        runtime.consumers.append(runner)
        tasks.append(asyncio.create_task(runner.run(), name=f"{definition.name}-consumer"))
    for number, worker in enumerate(definition.workers):
        tasks.append(asyncio.create_task(worker(runtime), name=f"{definition.name}-worker-{number}"))
    stack.push_async_callback(_cancel, tasks)
    return runtime


def _tracing(service: str, settings: ServiceSettings, exporter: SpanExporter | None) -> Tracing | None:
    if exporter is not None:
        return Tracing(service, exporter, batch=False)
    if settings.otlp_endpoint:
        return Tracing.to_collector(service, settings.otlp_endpoint)
    return None


SHUTDOWN_STEP_SECONDS = 15.0
"""No shutdown step waits longer: a stuck step must not keep a stopping pod (or a test) alive for ever."""


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_SECONDS)
    for task in pending:
        log.error("background task %s did not stop within %ss; abandoned", task.get_name(), SHUTDOWN_STEP_SECONDS)
    for task in done:
        if not task.cancelled() and isinstance(task.exception(), Exception):
            log.error("background task ended with an error", exc_info=task.exception())


async def _bounded(close: Callable[[], Coroutine[Any, Any, None]], what: str) -> None:
    try:
        async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
            await close()
    except TimeoutError:
        log.error("closing the %s took longer than %ss; abandoned", what, SHUTDOWN_STEP_SECONDS)
