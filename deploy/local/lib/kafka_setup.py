"""Brings a freshly started local broker to "ready for tests" (run by deploy/local/lib/kafka.sh with .venv's Python).

1. Topics from deploy/topics.txt: a missing one is created (replication factor 1); one with fewer partitions than
   asked is grown; one with more is reported (Kafka cannot shrink a topic).
2. Group coordinators: `__consumer_offsets` is created on the first group request and each of its partitions'
   coordinators loads a moment later. A client meeting one still loading gets NOT_COORDINATOR, and aiokafka 0.14.0
   then retries its closing offset commit forever (a consumer's stop() hangs). So we ask one group per
   `__consumer_offsets` partition until every coordinator answers.

Usage: python kafka_setup.py BOOTSTRAP name:partitions ...
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

OFFSETS_TOPIC = "__consumer_offsets"
DEADLINE_SECONDS = 60.0


def java_hash(text: str) -> int:
    """Java's String.hashCode, which the broker uses to map a group to a `__consumer_offsets` partition."""
    h = 0
    for char in text:
        h = (31 * h + ord(char)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def coordinator_probes(partitions: int) -> list[str]:
    """One group id per `__consumer_offsets` partition."""
    covered: dict[int, str] = {}
    n = 0
    while len(covered) < partitions:
        group = f"afterschool-stack-probe-{n}"
        h = java_hash(group)
        covered.setdefault((0 if h == -(1 << 31) else abs(h)) % partitions, group)
        n += 1
    return list(covered.values())


async def retry(call, deadline: float):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with asyncio.timeout(30):
                return await call()
        except Exception as error:
            if loop.time() > deadline:
                raise SystemExit(f"kafka: not ready after {DEADLINE_SECONDS:.0f}s: {error!r}") from error
            await asyncio.sleep(0.2)


async def ensure_topics(admin: AIOKafkaAdminClient, wanted: dict[str, int]) -> None:
    existing = set(await admin.list_topics())
    missing = [NewTopic(name, count, 1) for name, count in wanted.items() if name not in existing]
    if missing:
        await admin.create_topics(missing)
        for topic in missing:
            print(f"kafka: created topic {topic.name} ({topic.num_partitions} partitions)")
    # Only topics that existed before: one created just now can still show part of its partitions in metadata,
    # and "growing" it to the count it already has is refused (InvalidPartitionsError, seen on a fresh `up`).
    before = [name for name in wanted if name in existing]
    described = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(before)} if before else {}
    grow = {name: NewPartitions(count) for name, count in wanted.items() if described.get(name, count) < count}
    for name, count in wanted.items():
        if described.get(name, count) > count:
            print(f"kafka: warning: {name} has {described[name]} partitions, topics.txt asks {count}", file=sys.stderr)
    if grow:
        await admin.create_partitions(grow)
        for name, spec in grow.items():
            print(f"kafka: grew topic {name} to {spec.total_count} partitions")


async def await_group_coordinators(admin: AIOKafkaAdminClient, deadline: float) -> None:
    await retry(lambda: admin.list_consumer_group_offsets("afterschool-stack-probe"), deadline)

    async def offsets_partitions() -> int:
        (described,) = await admin.describe_topics([OFFSETS_TOPIC])
        if described["error_code"] or not described["partitions"]:
            raise RuntimeError(f"{OFFSETS_TOPIC} not created yet")
        return len(described["partitions"])

    partitions = await retry(offsets_partitions, deadline)
    for group in coordinator_probes(partitions):
        await retry(lambda group=group: admin.list_consumer_group_offsets(group), deadline)


async def main(bootstrap: str, specs: list[str]) -> None:
    wanted = {name: int(count) for name, count in (spec.split(":", 1) for spec in specs)}
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="afterschool-stack", request_timeout_ms=30000)
    await retry(admin.start, deadline)
    try:
        if wanted:
            await ensure_topics(admin, wanted)
        await await_group_coordinators(admin, deadline)
    finally:
        await admin.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: kafka_setup.py BOOTSTRAP [name:partitions ...]")
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
