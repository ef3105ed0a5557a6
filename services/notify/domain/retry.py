"""Retries with capped exponential back-off and full jitter, per channel (NT-3)."""

from __future__ import annotations

from dataclasses import dataclass

from services.notify.domain.channels import Channel


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one channel is retried before the delivery becomes a dead letter."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def gives_up_after(self, attempts: int) -> bool:
        """True once `attempts` sends have failed and no more are allowed."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, jitter: float, *, at_least: float = 0.0) -> float:
        """Seconds to wait after the `attempts`-th failure: full jitter over a capped doubling.

        `jitter` is a number in [0, 1) (random in production, fixed in tests); full jitter spreads the retries of a
        burst that failed together, so they do not hit a recovering provider in one wave. `at_least` honours a
        provider's own Retry-After.
        """
        if not 0.0 <= jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** max(attempts - 1, 0))
        return max(at_least, ceiling * jitter, self.base_seconds / 10)


POLICIES: dict[Channel, RetryPolicy] = {
    # Providers that throttle (SMS, WeChat) get fewer, slower retries; a school's webhook gets the most patience.
    Channel.IN_APP: RetryPolicy(max_attempts=1, base_seconds=1.0, cap_seconds=1.0),
    Channel.EMAIL: RetryPolicy(max_attempts=6, base_seconds=30.0, cap_seconds=1800.0),
    Channel.SMS: RetryPolicy(max_attempts=4, base_seconds=10.0, cap_seconds=300.0),
    Channel.WECHAT: RetryPolicy(max_attempts=4, base_seconds=5.0, cap_seconds=300.0),
    Channel.WEBHOOK: RetryPolicy(max_attempts=8, base_seconds=5.0, cap_seconds=3600.0),
}
