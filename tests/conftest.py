"""Fixtures shared by every test: the real stack (PostgreSQL, Kafka, Redis) and service apps on it.

The stack is started by `deploy/local/stack up` (the test command does it); tests that need it fail,
never skip, when it is not there.

No test reads the wall clock: a service runs on a steady clock from SCHOOL_AFTERNOON (time passes, from a pinned
moment) unless the test gives it another clock, and services started as processes do the same (`<P>CLOCK_START`).
A test that moves time does so explicitly, with a `FakeClock`. `bin/test --at "YYYY-MM-DD HH:MM"` moves every
process's wall clock to prove it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any, cast

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from chassis.app import Runtime, ServiceDefinition
from chassis.auth import Role, mint_token
from chassis.bus import Bus
from chassis.clock import SCHOOL_TZ, Clock, FakeClock, SteadyClock
from chassis.settings import PLACEHOLDER_SECRET, ServiceSettings

PG_URL = os.environ.get("AFTERSCHOOL_TEST_PG_URL", "postgresql+asyncpg://afterschool:afterschool@127.0.0.1:54329")
KAFKA = os.environ.get("AFTERSCHOOL_TEST_KAFKA", "127.0.0.1:9092")
REDIS_URL = os.environ.get("AFTERSCHOOL_TEST_REDIS", "redis://127.0.0.1:63799/0")
SECRET = PLACEHOLDER_SECRET

# A Wednesday afternoon in the autumn term (Asia/Shanghai), before the first dismissal band: every service test
# runs here unless it sets its own clock, so no test depends on when the suite runs.
SCHOOL_AFTERNOON = datetime(2026, 11, 25, 15, 0, tzinfo=SCHOOL_TZ)


def school_clock(moment: datetime = SCHOOL_AFTERNOON) -> FakeClock:
    """A fake clock pinned to a school-day moment (the Wednesday afternoon by default), for tests that move time."""
    return FakeClock(moment)


def pinned_clock(moment: datetime = SCHOOL_AFTERNOON) -> SteadyClock:
    """A service's clock when the test sets none: the Wednesday afternoon, then time passes as it would (newest-first
    lists and back-offs behave as in production), without ever depending on when the suite runs."""
    return SteadyClock(moment)


def _plain_dsn(database: str) -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://") + f"/{database}"


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test; its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain_dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG_URL}/{name}"
    finally:
        try:
            await _drop(admin, name)
        finally:
            await admin.close()


async def _drop(admin: asyncpg.Connection, name: str) -> None:
    """Drop a test database. FORCE may not end an autovacuum worker that has just connected to it (only a superuser
    may; the stack's role is not one): wait for the worker and try again, and never fail the test over cleanup."""
    import logging

    for attempt in range(10):
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
            await asyncio.sleep(0.2 * (attempt + 1))
    logging.getLogger(__name__).warning("test database %s left behind: it stayed in use", name)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def topic_prefix() -> AsyncIterator[str]:
    """A Kafka topic prefix no other test uses, so each test reads only its own events; its topics are deleted
    afterwards, because a broker keeping every test's partitions runs out of file handles within one run."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    yield prefix
    await delete_topics(prefix)


async def delete_topics(prefix: str) -> None:
    """Delete the topics named with `prefix` (a broker that is down, e.g. in a fault test, is left alone)."""
    import logging

    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="test-cleanup", request_timeout_ms=5000)
    try:
        async with asyncio.timeout(10):
            await admin.start()
            ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
            if ours:
                await admin.delete_topics(ours)
    except Exception as error:  # cleanup must never fail the test it follows
        logging.getLogger(__name__).warning("could not delete topics %s*: %r", prefix, error)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def token(role: Role, subject: str, *, school: str | None = None, district: str | None = None) -> str:
    """A bearer token for tests."""
    return mint_token(secret=SECRET, role=role, subject=subject, school_id=school, district_id=district)


def auth(role: Role, subject: str, *, school: str | None = None, district: str | None = None) -> dict[str, str]:
    """Authorization header for tests."""
    return {"Authorization": f"Bearer {token(role, subject, school=school, district=district)}"}


def stack_settings(definition: ServiceDefinition, database_url: str, prefix: str, **extra: Any) -> ServiceSettings:
    """A service's settings on the real stack (PostgreSQL, Kafka with a test topic prefix, Redis)."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "bus": "kafka",
        "kafka_bootstrap": KAFKA,
        "kafka_topic_prefix": prefix,
        "kafka_create_topics": True,
        "redis_url": REDIS_URL,
        "redis_namespace": prefix,
        "jwt_secret": SECRET,
        "consumer_backoff_seconds": 0.05,
    }
    values.update(extra)
    return definition.settings_class(**values)


class ServiceClient(httpx.AsyncClient):
    """An HTTP client of one running service app, with what its tests reach for: the app's runtime, its clock and
    the Kafka topic prefix its events go to."""

    def __init__(self, app: FastAPI, clock: Clock, prefix: str) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app), base_url="http://test")
        self.app, self.clock, self.prefix = app, clock, prefix

    @property
    def runtime(self) -> Runtime:
        """The service's runtime (database, bus, tables, settings)."""
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def fake_clock(self) -> FakeClock:
        """The service's clock, for a test that moves time (it must have started the service on a FakeClock)."""
        assert isinstance(self.clock, FakeClock), "this service runs on a steady clock: pass clock=school_clock()"
        return self.clock


@contextlib.asynccontextmanager
async def running(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    span_exporter: SpanExporter | None = None,
) -> AsyncIterator[ServiceClient]:
    """Run a service app (lifespan included) on `clock` (the pinned school afternoon by default); its client."""
    clock = clock or pinned_clock()
    app = definition.create_app(settings, bus=bus, clock=clock, span_exporter=span_exporter)
    async with app.router.lifespan_context(app), ServiceClient(app, clock, settings.kafka_topic_prefix) as client:
        yield client


@contextlib.asynccontextmanager
async def serving(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    lean_routes: bool = True,
) -> AsyncIterator[str]:
    """Run a service under a real uvicorn server on a free loopback port (for streaming), on `clock` (the pinned
    school afternoon by default); its base URL. `lean_routes=False`: without the middleware that answers lean routes
    first, so their requests reach the declared FastAPI routes."""

    from chassis.lean import LeanRoutes
    from tests.simulators.serve import serve_asgi  # imports uvicorn, which most tests never need

    app = definition.create_app(settings, bus=bus, clock=clock or pinned_clock())
    if not lean_routes:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not cast(Any, LeanRoutes)]
    async with serve_asgi(app) as url:
        yield url


@contextlib.asynccontextmanager
async def serving_streams(definition: ServiceDefinition, settings: ServiceSettings) -> AsyncIterator[tuple[str, str]]:
    """`serving`, with the live streams also on their own port (chassis/streams.py); the main and the stream
    port's base URLs."""
    from tests.simulators.serve import serve_asgi

    on_a_free_port = settings.model_copy(update={"stream_port": 0, "stream_host": "127.0.0.1"})
    app = definition.create_app(on_a_free_port, clock=pinned_clock())
    async with serve_asgi(app) as url:
        yield url, f"http://127.0.0.1:{app.state.stream_port}"


# The names chassis.app gives a service's background tasks; one alive after its test means a lifespan never closed.
SERVICE_TASK = re.compile(r"-(relay|consumer|worker-\d+)$")


@pytest_asyncio.fixture(autouse=True)
async def no_service_task_outlives_its_test() -> AsyncIterator[None]:
    """Fail the test that leaves a relay, consumer or worker running: it would poll a dropped database for the rest
    of the session and starve the tests after it."""
    before = set(asyncio.all_tasks())
    yield
    await asyncio.sleep(0)
    leaked = [t for t in asyncio.all_tasks() - before if not t.done() and SERVICE_TASK.search(t.get_name())]
    for task in leaked:
        task.cancel()
    assert not leaked, f"left running after the test: {sorted(t.get_name() for t in leaked)}"


async def eventually(check: Any, timeout: float = 30.0) -> None:
    """Wait until `check()` (sync, or async) returns something true; fail after `timeout` seconds."""
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def in_background(job: Any) -> AsyncIterator[Any]:
    """Run a coroutine as a task for the duration of the block, then cancel it."""

    task = asyncio.create_task(job)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def pytest_report_header() -> str:
    """Say where this run's wall clock stands (`bin/test --at` moves it), so a result names the hour it proves."""
    from datetime import UTC

    moved = os.environ.get("AFTERSCHOOL_WALL_CLOCK_OFFSET")
    wall = datetime.now(UTC).astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M %A")
    return f"wall clock: {wall} Asia/Shanghai" + (f" (moved by {float(moved):+.0f} s)" if moved else "")


@contextlib.contextmanager
def _listening(db: Any, listeners: dict[str, Callable[..., None]]) -> Iterator[None]:
    """SQLAlchemy engine events of `db` (a `chassis.db.Database`) heard by `listeners` while the block runs."""
    from sqlalchemy import event as sa_event

    engine = db.engine.sync_engine
    for name, listener in listeners.items():
        sa_event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            sa_event.remove(engine, name, listener)


@contextlib.contextmanager
def round_trips(db: Any) -> Iterator[list[str]]:
    """What the current task sends to `db` while the block runs: "BEGIN" for each transaction begun on the database
    (an autocommit connection begins none), each statement, "COMMIT"."""
    task, seen = asyncio.current_task(), list[str]()

    def autocommit(conn: Any) -> bool:
        return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")

    def begin(conn: Any) -> None:
        if asyncio.current_task() is task and not autocommit(conn):
            seen.append("BEGIN")

    def commit(conn: Any) -> None:
        if asyncio.current_task() is task and not autocommit(conn):
            seen.append("COMMIT")

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if asyncio.current_task() is task:
            seen.append(sql)

    with _listening(db, {"begin": begin, "commit": commit, "before_cursor_execute": statement}):
        yield seen


@contextlib.contextmanager
def statement_cache_hits(db: Any, keep: Callable[[str], bool] = lambda _: True) -> Iterator[list[bool]]:
    """For each statement `db` runs while the block runs (those `keep` accepts): whether SQLAlchemy's compiled cache
    answered it (False: compiled for this call)."""
    from sqlalchemy.engine.default import CACHE_HIT

    seen: list[bool] = []

    def record(_conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        if keep(statement):
            seen.append(context.cache_hit is CACHE_HIT)

    with _listening(db, {"after_cursor_execute": record}):
        yield seen


@contextlib.contextmanager
def sql_statements(db: Any, keep: Callable[[str], bool] = lambda _: True) -> Iterator[list[str]]:
    """The SQL statements `db` sends while the block runs, from any task, those `keep` accepts."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if keep(statement):
            seen.append(statement)

    with _listening(db, {"before_cursor_execute": record}):
        yield seen
