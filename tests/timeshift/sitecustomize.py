"""Moves this process's wall clock by `AFTERSCHOOL_WALL_CLOCK_OFFSET` seconds (`bin/test --at`), monotonic untouched.

Python imports `sitecustomize` at start-up from any directory on PYTHONPATH, so `bin/test --at` puts this directory
there and every Python process of the run (pytest and the services it starts as subprocesses) moves by the same
offset from its own real start: their clocks agree with each other while all of them believe it is, say, a
weekday 22:30 in Shanghai. time-machine patches only the wall clock (time.time, datetime.now, …); asyncio, timeouts
and sleeps run on the monotonic clock and are left alone. libfaketime cannot do this here: with the monotonic clock
left real, time.sleep fails with EINVAL, and with it faked, thread waits hang.
"""

from __future__ import annotations

import os
import time

_offset = os.environ.get("AFTERSCHOOL_WALL_CLOCK_OFFSET")
if _offset:
    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
    # time-machine starts ticking at the first read, not at start(): read now, or this process would lag the
    # others by however long its imports take before anything asks the time (seen: JWTs "not yet valid").
    time.time()
