"""`afterschool serve notify` for the fault tests, with one seam of their own: while the file named by
AFTERSCHOOL_FAULT_HOLD_COMMIT exists, a consumer's offset commit (the step after a batch's transaction committed)
creates `<that file>.held` and waits for ever, so that a test can SIGKILL the process exactly there.

Run it as `python -m tests.fault.notify_process --port N` with the NOTIFY_* settings in the environment."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from afterschool.cli import main
from chassis.bus.base import Partition
from chassis.bus.kafka import KafkaConsumer

HOLD = os.environ.get("AFTERSCHOOL_FAULT_HOLD_COMMIT")


def _hold_commits(hold: Path) -> None:
    commit = KafkaConsumer.commit

    async def held_while_armed(self: KafkaConsumer, offsets: Mapping[Partition, int]) -> None:
        if await asyncio.to_thread(hold.exists):
            hold.with_name(hold.name + ".held").touch()  # the batch's transaction has committed; its offsets never will
            await asyncio.Future()  # until the process is killed
        await commit(self, offsets)

    KafkaConsumer.commit = held_while_armed  # type: ignore[method-assign]


if __name__ == "__main__":
    if HOLD:
        _hold_commits(Path(HOLD))
    sys.exit(main(["serve", "notify", *sys.argv[1:]]))
