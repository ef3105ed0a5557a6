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

# Atomic on the Redis side: drop what left the window, then take a place if one is free, else say how long until
# the oldest place frees (as text: Redis turns a Lua number into an integer).
_SLIDING_LOG = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return ''
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
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
        now = self._clock.now().timestamp()
        if self._redis is not None:
            try:
                waited = await self._redis.eval(
                    _SLIDING_LOG, 1, f"{self._namespace}rate:{key}", now, limit.seconds, limit.count, uuid.uuid4().hex
                )
            except Exception:  # an unreachable Redis must not stop an emergency broadcast: limit per process
                log.warning("redis unavailable for rate limit %s; limiting in this process", key, exc_info=True)
            else:
                text = waited.decode() if isinstance(waited, bytes) else str(waited)
                return float(text) if text else None
        return self._take_locally(key, limit, now)

    def _take_locally(self, key: str, limit: Limit, now: float) -> float | None:
        log_ = self._local[key]
        while log_ and log_[0] <= now - limit.seconds:
            log_.popleft()
        if len(log_) < limit.count:
            log_.append(now)
            return None
        return log_[0] + limit.seconds - now

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
