"""Rate limits: at most `count` acts per key in any `seconds`-long window (a sliding log), shared by every replica
through Redis, or kept in this process when there is no Redis (the embedded mode) or it cannot be reached. Time is
the service's injected clock, so a test moves past a window by moving its clock.

A refused act takes no place in the window; an accepted one keeps its place even if what follows fails (a limit
errs on the side of refusing).
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from chassis.clock import Clock
from chassis.problems import Problem

log = logging.getLogger(__name__)

# Atomic on the Redis side, over every key of one act: drop what left each window; if every key has a free place,
# take one in each, else say how long until the last full one frees (as text: Redis turns a Lua number into an
# integer). ARGV: now, the act's member, then a window and a count per key.
_SLIDING_LOGS = """
local now, member, wait = tonumber(ARGV[1]), ARGV[2], 0
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[1 + 2 * i]) * 1000))
end
return ''
"""


@dataclass(frozen=True)
class Limit:
    """At most `count` acts in any `seconds`-long window."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError("a limit allows at least one act in a window longer than zero")


class TooManyRequests(Problem):
    """Over a rate limit: answered 429 with `Retry-After`, the whole seconds until a place frees (RFC 9110 §10.2.3)."""

    status, title = 429, "Too many requests"

    def __init__(self, detail: str, *, retry_after: float, **extensions: Any) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(detail, retry_after=seconds, **extensions)
        self.headers = {"Retry-After": str(seconds)}


class RateLimiter:
    """Sliding-log rate limits on Redis (when given) with an in-process fallback."""

    def __init__(self, redis: Any, clock: Clock, namespace: str = "") -> None:
        self._redis, self._clock, self._namespace = redis, clock, namespace
        self._local: dict[str, deque[float]] = defaultdict(deque)

    async def take(self, key: str, limit: Limit) -> float | None:
        """Take a place for one act under `key` now: None when taken, else the seconds until a place frees."""
        return await self.take_all([(key, limit)])

    async def take_all(self, limits: list[tuple[str, Limit]]) -> float | None:
        """Take a place under every key at once, or under none: None when taken, else the seconds until each has
        one (a write counts against its token and its school together)."""
        now = self._clock.now().timestamp()
        if self._redis is not None:
            keys = [f"{self._namespace}rate:{key}" for key, _ in limits]
            windows = [value for _, limit in limits for value in (limit.seconds, limit.count)]
            try:
                waited = await self._redis.eval(_SLIDING_LOGS, len(keys), *keys, now, uuid.uuid4().hex, *windows)
            except Exception:  # an unreachable Redis must not stop an emergency broadcast: limit per process
                log.warning("redis unavailable for rate limits %s; limiting in this process", keys, exc_info=True)
            else:
                text = waited.decode() if isinstance(waited, bytes) else str(waited)
                return float(text) if text else None
        return self._take_locally(limits, now)

    def _take_locally(self, limits: list[tuple[str, Limit]], now: float) -> float | None:
        wait = 0.0
        for key, limit in limits:
            log_ = self._local[key]
            while log_ and log_[0] <= now - limit.seconds:
                log_.popleft()
            if len(log_) >= limit.count:
                wait = max(wait, log_[0] + limit.seconds - now)
        if wait > 0:
            return wait
        for key, _ in limits:
            self._local[key].append(now)
        return None

    async def check(self, key: str, limit: Limit, what: str) -> None:
        """Take a place for one act under `key`, or raise a 429 problem naming `what` is limited."""
        waited = await self.take(key, limit)
        if waited is not None:
            raise TooManyRequests(
                f"at most {limit.count} {what} per {limit.seconds:g} s; try again later",
                retry_after=waited,
                limit=limit.count,
                window_seconds=limit.seconds,
            )

    async def check_all(self, limits: list[tuple[str, Limit]], what: str) -> None:
        """Take a place under every key, or raise a 429 problem naming `what` is limited."""
        waited = await self.take_all(limits)
        if waited is not None:
            raise TooManyRequests(f"too many {what}; try again later", retry_after=waited)
