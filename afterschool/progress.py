"""Progress of a long step: a bar redrawn in place on a terminal, plain lines when the output is a file or a pipe."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

BAR_WIDTH = 20
PLAIN_EVERY_SECONDS = 5.0  # a log or CI reader sees the demo is alive, without a line per request


class Progress:
    """Counts work done in named phases out of a known total."""

    def __init__(self, out: TextIO, total: int, *, title: str, tty: bool | None = None) -> None:
        self._out, self._total, self._title = out, max(total, 1), title
        self._tty = out.isatty() if tty is None else tty
        self._done = self._phase_done = self._phase_total = 0
        self._phase = ""
        self._started = self._phase_started = self._last_line = time.perf_counter()
        self._last_draw = 0.0

    def phase(self, name: str, total: int) -> None:
        """Start the next phase of `total` steps."""
        self._phase, self._phase_total, self._phase_done = name, total, 0
        self._phase_started = self._last_line = time.perf_counter()
        self._draw(force=True)

    def advance(self, steps: int = 1) -> None:
        """Count steps of the current phase as done."""
        self._done += steps
        self._phase_done += steps
        now = time.perf_counter()
        if self._tty:
            self._draw(force=self._phase_done >= self._phase_total)
        elif self._phase_done >= self._phase_total:
            self._line(f"  {self._phase}: {self._phase_done} in {now - self._phase_started:.1f}s")
        elif now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._line(f"  {self._phase}: {self._phase_done}/{self._phase_total} …")

    def finish(self, message: str) -> None:
        """End the bar (on a terminal) and print the closing line."""
        if self._tty:
            self._out.write("\r\x1b[2K")
        self._line(message)

    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()
        self._last_line = time.perf_counter()

    def _draw(self, *, force: bool) -> None:
        if not self._tty:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = BAR_WIDTH * self._done // self._total
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        percent = 100 * self._done // self._total
        line = (
            f"{self._title} [{bar}] {percent:3d}%  {self._phase} {self._phase_done}/{self._phase_total}"
            f"  {now - self._started:.0f}s"
        )
        # A line wider than the terminal wraps, and `\r` then redraws only its last part.
        self._out.write("\r\x1b[2K" + line[: shutil.get_terminal_size().columns - 1])
        self._out.flush()
