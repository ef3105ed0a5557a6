"""A POST's effect, its event and its idempotency answer as ONE PostgreSQL statement, outside any transaction.

The general path (`respond_once` → a unit of work) costs BEGIN, the effect's INSERT, the outbox INSERT, the answer's
INSERT and COMMIT: five round trips and an ORM session. A route whose effect is a single conditional INSERT (a
check-in: the row only if the child is on the roster and the device event is new) can say so with a `Shortcut`,
and `respond_once` tries it first: data-modifying CTEs, so the check-in, its outbox row and its answer are stored
together or not at all, in one round trip (issue 13).

Nothing is weakened. The statement is atomic on its own (autocommit), so the answer is stored with the effect. The
outbox key's advisory lock is taken before the outbox row, and so its id, is formed, as in `UnitOfWork.publish`: a
key's events keep commit order. When the INSERT takes no effect (a repeated device event, a child not on the roster)
the statement stores nothing and the general path answers, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from chassis.db import Database
from chassis.uow import outbox_channel, outbox_lock_id, outbox_row
from contracts.envelope import Event

IdempotencyRecord = tuple[str, str, str]
"""(scope, key, request hash) of a request sent with an `Idempotency-Key`."""

_EVENT_ARGS = 7  # event id, topic, key, type, payload, created at, NOTIFY channel
_ANSWER_ARGS = 6  # scope, key, request hash, status, body, created at


@dataclass(frozen=True)
class Shortcut:
    """An effect that is one INSERT … RETURNING (a row back: it took effect), and what goes with it when it does."""

    effect_sql: str
    """`INSERT … RETURNING …` with `$1`…`$n` placeholders (cast where PostgreSQL cannot infer a type)."""
    effect_args: Sequence[Any]
    event: Event
    school_id: str
    status: int
    body: Any
    """The answer's JSON body (what the general path would answer for this effect)."""
    after: Sequence[Callable[[], object]] = ()
    """Side notices once it took effect (metrics, live pings): fire-and-forget, as a unit of work's after-commit."""


@cache
def statement(effect_sql: str, effect_params: int, answered: bool) -> str:
    """The one statement for an effect with `effect_params` placeholders; with the idempotency answer or without."""
    e = [f"${effect_params + n}" for n in range(1, _EVENT_ARGS + 1)]
    parts = [
        f"WITH effect AS ({effect_sql}),",
        "key_lock AS MATERIALIZED (",
        f"    SELECT pg_advisory_xact_lock({outbox_lock_id(e[2])}), pg_notify({e[6]}, '') FROM effect",
        "), event AS (",
        "    INSERT INTO outbox (event_id, topic, key, type, payload, created_at)",
        f"    SELECT {e[0]}, {e[1]}, {e[2]}, {e[3]}, CAST({e[4]} AS bytea), CAST({e[5]} AS timestamptz) FROM key_lock",
        ")",
    ]
    if answered:
        a = [f"${effect_params + _EVENT_ARGS + n}" for n in range(1, _ANSWER_ARGS + 1)]
        parts += [
            ", answer AS (",
            "    INSERT INTO idempotency_keys (scope, key, request_hash, status_code, body, created_at)",
            f"    SELECT {a[0]}, {a[1]}, {a[2]}, CAST({a[3]} AS integer), CAST({a[4]} AS json),"
            f" CAST({a[5]} AS timestamptz) FROM effect",
            ")",
        ]
    parts.append("SELECT count(*) FROM effect")
    return "\n".join(parts)


async def take(
    db: Database, service: str, shortcut: Shortcut, now: datetime, idempotency: IdempotencyRecord | None
) -> bool:
    """Store the effect, its event and answer in one statement; whether it took effect.

    An Idempotency-Key that already has an answer raises SQLAlchemy's `IntegrityError`, and nothing is stored (the
    statement is atomic): `respond_once` then replays the stored answer."""
    _, row = outbox_row(service, shortcut.event, school_id=shortcut.school_id, time=now, now=now)
    args = [*shortcut.effect_args]
    args += [row["event_id"], row["topic"], row["key"], row["type"], row["payload"], now, outbox_channel(service)]
    if idempotency is not None:
        scope, key, digest = idempotency
        args += [scope, key, digest, shortcut.status, orjson.dumps(shortcut.body).decode(), now]
    sql = statement(shortcut.effect_sql, len(shortcut.effect_args), idempotency is not None)
    async with db.autocommit() as connection:
        took = (await connection.exec_driver_sql(sql, tuple(args))).scalar_one()
    return bool(took)
