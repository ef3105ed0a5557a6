"""`Idempotency-Key` on POSTs: the first answer is stored with the effect and replayed to every retry.

The answer is written in the same transaction as the effect, so a crash can never leave an effect without
its answer (or the reverse); a reused key with a different body is refused (422). PostgreSQL is the source
of truth; Redis only answers repeated retries without a database round trip.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.auth import Principal
from chassis.openapi import depends_on
from chassis.problems import Problem, Unprocessable
from chassis.shortcut import IdempotencyRecord, Shortcut, take
from chassis.uow import UnitOfWork, run_after_effect

if TYPE_CHECKING:
    from chassis.app import Runtime

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 200

Action = Callable[[UnitOfWork], Awaitable[tuple[int, Any]]]


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description="any unique string per intended effect: a retry with the same key and body replays the "
            "first answer and changes nothing; with another body it is a 422",
            examples=["0d6f2c1e-5b8a-4c7e-9a51-3f2b8e4d7c90"],
        ),
    ] = None,
) -> str | None:
    """The header, declared so the OpenAPI says where it is honoured (the value is read by `respond_once`)."""
    return key


def _digest(body: Any) -> str:
    try:
        raw = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits, which orjson refuses: the rule that reads it answers the 422
        raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


IDEMPOTENT = Depends(idempotency_key)
"""Put in the route's `dependencies` of every route that answers through `respond_once` (checked when it runs)."""


async def respond_once(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    body: Any,
    action: Action,
    *,
    shortcut: Callable[[], Shortcut] | None = None,
) -> JSONResponse:
    """Run `action` (returning status and JSON body) at most once per caller, route and Idempotency-Key.

    With a `shortcut` (an effect that is one conditional INSERT), PostgreSQL first tries it as one statement with its
    event and answer (`chassis/shortcut.py`); `action` answers whenever it takes no effect."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and not depends_on(route, idempotency_key):
        raise RuntimeError(
            f"{route.path} honours Idempotency-Key: add dependencies=[IDEMPOTENT] so its OpenAPI says so"
        )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Unprocessable(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    idempotency = None
    if key is not None:
        scope = f"{runtime.name}:{request.url.path}:{principal.school_id}:{principal.subject}"
        idempotency = (scope, key, _digest(body))
    try:
        if shortcut is not None and not runtime.db.is_sqlite:
            answered = await _take(runtime, shortcut(), idempotency)
            if answered is not None:
                return answered
        if idempotency is None:
            return await _run(runtime, action, None)
        cached = await _cached(runtime, idempotency[0], idempotency[1])
        if cached is not None:
            return _replay(cached, idempotency[2])
        return await _run(runtime, action, idempotency)
    except (IntegrityError, Problem):
        # The key may already have its answer: a retry the cache has forgotten (its action was refused, or its answer
        # collided with the stored one and everything it did was rolled back), or a concurrent request that won.
        # Looking here rather than before the action spares every first request a round trip.
        if idempotency is None:
            raise
        scope, key, digest = idempotency
        async with runtime.db.sessions() as session:
            stored = await _stored(session, runtime, scope, key)
        if stored is None:
            raise
        # Kept in Redis from now on, so the retries after this one are answered without the database (a shortcut
        # does not write the cache: most first answers are never asked again).
        await _cache(runtime, idempotency, stored[1], stored[2])
        return _replay(stored, digest)


async def _take(runtime: Runtime, shortcut: Shortcut, idempotency: IdempotencyRecord | None) -> JSONResponse | None:
    now = runtime.clock.now()
    if not await take(runtime.db, runtime.name, shortcut, now, idempotency):
        return None
    runtime.relay.wake()
    await run_after_effect(shortcut.after)
    return JSONResponse(shortcut.body, status_code=shortcut.status)


async def _run(runtime: Runtime, action: Action, idempotency: IdempotencyRecord | None) -> JSONResponse:
    async with runtime.uow() as uow:
        status, content = await action(uow)
        content = orjson.loads(orjson.dumps(content))
        if idempotency is not None:
            scope, key, digest = idempotency
            answer = {"scope": scope, "key": key, "request_hash": digest, "status_code": status, "body": content}
            # The (scope, key) primary key refuses a second answer: the caller replays the first one.
            await uow.session.execute(runtime.tables.idempotency.insert(), answer | {"created_at": runtime.clock.now()})
        await uow.commit()
    if idempotency is not None:
        await _cache(runtime, idempotency, status, content)
    return JSONResponse(content, status_code=status)


def _replay(stored: tuple[str, int, Any], digest: str) -> JSONResponse:
    request_hash, status, content = stored
    if request_hash != digest:
        raise Unprocessable("this Idempotency-Key was already used with a different request body")
    return JSONResponse(content, status_code=status, headers={"Idempotent-Replayed": "true"})


async def _stored(session: AsyncSession, runtime: Runtime, scope: str, key: str) -> tuple[str, int, Any] | None:
    table = runtime.tables.idempotency
    query = select(table.c.request_hash, table.c.status_code, table.c.body).where(
        table.c.scope == scope, table.c.key == key
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row.request_hash, row.status_code, row.body)


def _cache_key(runtime: Runtime, scope: str, key: str) -> str:
    return f"{runtime.settings.redis_namespace}idem:{scope}:{key}"


async def _cached(runtime: Runtime, scope: str, key: str) -> tuple[str, int, Any] | None:
    if runtime.redis is None:
        return None
    try:
        raw = await runtime.redis.get(_cache_key(runtime, scope, key))
    except Exception:
        log.warning("redis unavailable for idempotency lookup; using the database", exc_info=True)
        return None
    if raw is None:
        return None
    cached = orjson.loads(raw)
    return cached["hash"], cached["status"], cached["body"]


async def _cache(runtime: Runtime, idempotency: IdempotencyRecord, status: int, content: Any) -> None:
    if runtime.redis is None:
        return
    scope, key, digest = idempotency
    try:
        await runtime.redis.set(
            _cache_key(runtime, scope, key),
            orjson.dumps({"hash": digest, "status": status, "body": content}),
            ex=CACHE_SECONDS,
        )
    except Exception:
        log.warning("redis unavailable for idempotency cache", exc_info=True)
