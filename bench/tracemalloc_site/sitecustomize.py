"""Loaded by every interpreter with this folder on PYTHONPATH (`bench.notify_load --tracemalloc/--gc-log`), and acting
in the notify process only: the first SIGUSR2 starts tracing allocations, each further one writes the n-th snapshot
to `$NOTIFY_TRACEMALLOC_OUT.<n>` (so a snapshot holds what was allocated since, e.g. the streams); or each full pass
of the cyclic collector is logged, with its time, to the process's log."""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
import tracemalloc

if "notify" in sys.argv and os.environ.get("NOTIFY_TRACEMALLOC_OUT"):
    _taken = [0]

    def _dump(_signum: int, _frame: object) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(12)
            return
        _taken[0] += 1
        tracemalloc.take_snapshot().dump(f"{os.environ['NOTIFY_TRACEMALLOC_OUT']}.{_taken[0]}")

    signal.signal(signal.SIGUSR2, _dump)

if "notify" in sys.argv and os.environ.get("NOTIFY_GC_LOG"):
    _started = [0.0]

    def _timed(phase: str, info: dict[str, int]) -> None:  # full passes only: the young ones are cheap
        if info["generation"] != 2:
            return
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        spent = time.perf_counter() - _started[0]
        print(f"gc: full pass {spent * 1000:.0f} ms, {info['collected']} collected", file=sys.stderr, flush=True)

    gc.callbacks.append(_timed)

if "notify" in sys.argv and os.environ.get("NOTIFY_GC_THRESHOLD"):  # an experiment: a larger young generation
    gc.set_threshold(int(os.environ["NOTIFY_GC_THRESHOLD"]), *gc.get_threshold()[1:])
