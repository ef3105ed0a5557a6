"""Summarise py-spy's collapsed stacks (`--format raw`): the top frames by inclusive share, and shares by library.

Run: `python -m bench.flame /tmp/profile/checkin.txt` (as written by `bench/run --profile /tmp/profile`).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

LIBRARIES = ("sqlalchemy", "asyncpg", "redis", "jwt", "pydantic", "aiokafka", "fastapi", "starlette", "uvicorn")
OURS = re.compile(r"\((chassis|services|contracts)/")
LINE = re.compile(r":\d+\)$")  # a function counts once, whichever of its lines is on the stack


def summarise(path: Path, top: int = 15) -> str:
    """The summary as Markdown lines: samples, libraries' inclusive shares, our top frames."""
    total, libraries, frames = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        parts = stack.split(";")
        libraries.update({lib: samples for lib in LIBRARIES if any(f"({lib}/" in p for p in parts)})
        frames.update(dict.fromkeys({LINE.sub(")", p) for p in parts if OURS.search(p)}, samples))
    if not total:
        return f"{path}: no samples"
    lines = [f"{path.name}: {total} samples", "", "| share | library (inclusive) |", "|---|---|"]
    lines += [f"| {n * 100 / total:.1f}% | {lib} |" for lib, n in libraries.most_common()]
    lines += ["", "| share | our frame (inclusive) |", "|---|---|"]
    lines += [f"| {n * 100 / total:.1f}% | `{frame}` |" for frame, n in frames.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(summarise(Path(name)) + "\n")
