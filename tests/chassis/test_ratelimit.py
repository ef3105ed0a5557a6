"""The chassis rate limit: a sliding window per key on Redis (shared by replicas) or in one process, on the
injected clock; a refusal takes no place and says when one frees (issue 10)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from chassis.ratelimit import Limit, RateLimiter, TooManyRequests
from tests.conftest import REDIS_URL, school_clock

pytestmark = pytest.mark.timeout(30)

THREE_IN_TEN_MINUTES = Limit(3, 600)


@pytest.fixture(params=["redis", "in-process", "redis-unreachable"])
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[Redis | None]:
    """Redis, none (the embedded mode), or one that cannot be reached (the limiter falls back to the process)."""
    if request.param == "in-process":
        yield None
        return
    url = REDIS_URL if request.param == "redis" else "redis://127.0.0.1:1/0"
    client = Redis.from_url(url, socket_connect_timeout=0.5)
    yield client
    await client.aclose()


async def test_a_sliding_window_per_key_on_the_injected_clock(redis: Redis | None) -> None:
    clock = school_clock()
    limiter = RateLimiter(redis, clock, f"rl-{uuid.uuid4().hex[:8]}.")
    for _minute_in_the_window in (0, 2, 4):
        assert await limiter.take("broadcast:s1:duty_leader", THREE_IN_TEN_MINUTES) is None
        clock.advance(timedelta(minutes=2))
    # 6 minutes in: the first place frees at 10 minutes; a refusal takes none, so it stays 4 minutes
    for _ in range(2):
        assert await limiter.take("broadcast:s1:duty_leader", THREE_IN_TEN_MINUTES) == pytest.approx(240)
    assert await limiter.take("broadcast:s2:duty_leader", THREE_IN_TEN_MINUTES) is None  # another key
    clock.advance(timedelta(minutes=4))  # the 0-minute place has left the window; the 2- and 4-minute ones not
    assert await limiter.take("broadcast:s1:duty_leader", THREE_IN_TEN_MINUTES) is None
    assert await limiter.take("broadcast:s1:duty_leader", THREE_IN_TEN_MINUTES) == pytest.approx(120)


async def test_check_raises_a_429_problem_with_retry_after_in_whole_seconds() -> None:
    clock = school_clock()
    limiter = RateLimiter(None, clock)
    await limiter.check("k", Limit(1, 10), "tries")
    clock.advance(timedelta(seconds=0.5))
    with pytest.raises(TooManyRequests) as refused:
        await limiter.check("k", Limit(1, 10), "tries")
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "10"}  # 9.5 s, rounded up
    assert refused.value.extensions == {"retry_after": 10, "limit": 1, "window_seconds": 10}


async def test_an_act_under_several_keys_takes_a_place_in_each_or_in_none(redis: Redis | None) -> None:
    """Issue 11: a write counts against its token and its school together."""
    clock = school_clock()
    limiter = RateLimiter(redis, clock, f"rl-{uuid.uuid4().hex[:8]}.")
    token, school = Limit(2, 60), Limit(3, 60)
    assert await limiter.take_all([("kiosk-1", token), ("s1", school)]) is None
    clock.advance(timedelta(seconds=10))
    assert await limiter.take_all([("kiosk-1", token), ("s1", school)]) is None
    # the token is full (its first place frees at 60 s): refused, and the school's third place is not taken
    assert await limiter.take_all([("kiosk-1", token), ("s1", school)]) == pytest.approx(50)
    assert await limiter.take_all([("kiosk-2", token), ("s1", school)]) is None  # another kiosk takes it
    # now the school is full too: the longer wait of the two is the answer
    clock.advance(timedelta(seconds=5))
    assert await limiter.take_all([("kiosk-2", token), ("s1", school)]) == pytest.approx(45)
    assert await limiter.take_all([("kiosk-3", token), ("s1", school)]) == pytest.approx(45)
    clock.advance(timedelta(seconds=45))  # the school's first place (and kiosk-1's) left the window
    assert await limiter.take_all([("kiosk-1", token), ("s1", school)]) is None
