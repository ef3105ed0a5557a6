"""Apache Kafka backend (aiokafka): idempotent producer, manual-commit consumers, topic administration.

Every call that talks to the broker is bounded by a timeout, because aiokafka can wait forever for a broker
that is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    ClusterAuthorizationFailedError,
    CommitFailedError,
    GroupAuthorizationFailedError,
    IllegalStateError,
    KafkaError,
    RebalanceInProgressError,
    SaslAuthenticationFailed,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)

from chassis.bus.base import Bus, BusConsumer, CommitFailed, Partition, Record
from chassis.bus.security import KafkaSecurity

BROKER_TIMEOUT = 10.0
log = logging.getLogger(__name__)


class KafkaAccessRefused(RuntimeError):
    """The broker refused the client's credentials, or its certificate failed verification: retrying cannot help."""


# What the ACLs deny stays denied however often we ask: raised at once, never retried like a broker that is down.
_UNAUTHORIZED = (TopicAuthorizationFailedError, GroupAuthorizationFailedError, ClusterAuthorizationFailedError)
_REFUSALS = (SaslAuthenticationFailed, AuthenticationFailedError, UnsupportedSaslMechanismError, ssl.SSLError)


async def refusal(bootstrap: str, security: KafkaSecurity) -> BaseException | None:
    """Why one connection to the first bootstrap broker fails, when the reason is the credentials or the TLS.

    aiokafka only logs these and then raises "Unable to bootstrap", which looks like a broker that is down and
    would be retried for half a minute.
    """
    if security.protocol == "PLAINTEXT":
        return None
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    try:
        async with asyncio.timeout(BROKER_TIMEOUT):
            conn = await create_conn(host, int(port), client_id="afterschool-check", **security.client_options())
    except _REFUSALS as error:
        return error
    except Exception as error:
        return error.__cause__ if isinstance(error.__cause__, _REFUSALS) else None  # down: worth retrying
    conn.close()
    return None


async def _refuse_fast(bootstrap: str, security: KafkaSecurity, error: BaseException) -> None:
    if (why := await refusal(bootstrap, security)) is not None:
        raise KafkaAccessRefused(
            f"Kafka at {bootstrap} does not accept user {security.username!r} over {security.protocol}: {why}"
        ) from error


async def _stop_within(stopping: Any, what: str) -> None:
    try:
        async with asyncio.timeout(BROKER_TIMEOUT):
            await stopping
    except Exception as error:
        log.warning("could not stop %s cleanly: %r", what, error)


class KafkaBus(Bus):
    """Publishes with `acks=all` and `enable_idempotence=True`, so a retried send is never written twice."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "afterschool",
        prefix: str = "",
        replication_factor: int = 1,
        security: KafkaSecurity = KafkaSecurity(),
    ) -> None:
        self.bootstrap, self.prefix, self.security = bootstrap, prefix, security
        self.client_id = client_id
        self.replication_factor = replication_factor
        self._producer: AIOKafkaProducer | None = None
        self._broken = False
        self._renewing = asyncio.Lock()
        self._retired: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Connect the producer, retrying while the broker comes up."""
        for attempt in range(30):
            try:
                self._producer = await self._connect()
                return
            except _UNAUTHORIZED:
                raise
            except (KafkaError, OSError, TimeoutError) as error:
                await _refuse_fast(self.bootstrap, self.security, error)
                if attempt == 29:
                    raise
                await asyncio.sleep(1.0)

    async def _connect(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=int(BROKER_TIMEOUT * 1000),
            **self.security.client_options(),
        )
        try:
            async with asyncio.timeout(BROKER_TIMEOUT):
                await producer.start()
        except BaseException:
            await _stop_within(producer.stop(), "a producer that failed to start")
            raise
        return producer

    async def stop(self) -> None:
        """Flush what is in flight and disconnect (bounded: unsent rows stay in the outbox anyway)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await _stop_within(producer.stop(), "the producer")
        await asyncio.gather(*self._retired, return_exceptions=True)

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Send and wait for the broker's acknowledgement from all in-sync replicas."""
        producer = await self._healthy_producer()
        try:
            await producer.send_and_wait(self.prefix + topic, value, key=key.encode())
        except BaseException:
            # A send that failed or was cut off by the caller's timeout (e.g. while the broker was down) can
            # leave aiokafka's idempotent producer stuck on its sequence numbers: the next send gets a new one.
            self._broken = True
            raise

    async def _healthy_producer(self) -> AIOKafkaProducer:
        async with self._renewing:
            if self._producer is None:
                raise RuntimeError("KafkaBus.publish before start()")
            if self._broken:
                retired, self._producer = self._producer, await self._connect()
                self._broken = False
                task = asyncio.create_task(_stop_within(retired.stop(), "a retired producer"))
                self._retired.add(task)
                task.add_done_callback(self._retired.discard)
            return self._producer

    async def ping(self) -> None:
        """Refresh cluster metadata from the broker (raises if unreachable)."""
        if self._producer is None:
            raise RuntimeError("KafkaBus not started")
        async with asyncio.timeout(BROKER_TIMEOUT):
            await self._producer.client.fetch_all_metadata()

    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        """Create missing topics (tests and development; production topics are Strimzi resources)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin", **self.security.client_options()
        )
        async with asyncio.timeout(BROKER_TIMEOUT):
            await admin.start()
        try:
            async with asyncio.timeout(BROKER_TIMEOUT):
                existing = set(await admin.list_topics())
            missing = [
                NewTopic(self.prefix + name, count, self.replication_factor)
                for name, count in partitions.items()
                if self.prefix + name not in existing
            ]
            if missing:
                # Another process may create one between our listing and our request: that is fine.
                with contextlib.suppress(TopicAlreadyExistsError):
                    async with asyncio.timeout(BROKER_TIMEOUT):
                        await admin.create_topics(missing)
        finally:
            await admin.close()

    def consumer(self, group: str, topics: Sequence[str]) -> BusConsumer:
        """A manual-commit member of `group`."""
        return KafkaConsumer(
            self.bootstrap, group, topics, client_id=self.client_id, prefix=self.prefix, security=self.security
        )


class KafkaConsumer(BusConsumer):
    """Wraps AIOKafkaConsumer; offsets are committed only by the consumer runner, after its transaction."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        *,
        client_id: str,
        prefix: str,
        security: KafkaSecurity = KafkaSecurity(),
    ) -> None:
        self._prefix = prefix
        self._bootstrap, self._security = bootstrap, security
        self._consumer = AIOKafkaConsumer(
            *(prefix + topic for topic in topics),
            bootstrap_servers=bootstrap,
            # The prefix names the group too: runs sharing a cluster (tests, tenants) must never share a group, or
            # a member one of them left behind holds up every other's rebalance until its session expires.
            group_id=prefix + group,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            request_timeout_ms=int(BROKER_TIMEOUT * 3000),
            **security.client_options(),
        )
        self._positions: dict[Partition, int] = {}

    async def start(self) -> None:
        """Join the group, retrying while the broker comes up."""
        for attempt in range(30):
            try:
                async with asyncio.timeout(BROKER_TIMEOUT * 3):
                    await self._consumer.start()
                return
            except _UNAUTHORIZED:
                raise
            except (KafkaError, OSError, TimeoutError) as error:
                await _refuse_fast(self._bootstrap, self._security, error)
                if attempt == 29:
                    raise
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        """Leave the group, within a bound.

        aiokafka 0.14 can retry its leave/commit forever against a coordinator that is still loading (seen right
        after a broker restart); the broker expires a member that never said goodbye, so we stop waiting.
        """
        try:
            async with asyncio.timeout(BROKER_TIMEOUT):
                await self._consumer.stop()
        except TimeoutError:
            log.warning("consumer did not leave its group within %ss; the broker will expire it", BROKER_TIMEOUT)

    async def getmany(self, *, timeout: float, max_records: int) -> dict[Partition, list[Record]]:
        """Fetch what has arrived, up to `max_records`."""
        fetched: dict[Any, list[Any]] = await self._consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=max_records
        )
        batch: dict[Partition, list[Record]] = {}
        for tp, messages in fetched.items():
            if not messages:
                continue
            part = Partition(tp.topic.removeprefix(self._prefix), tp.partition)
            batch[part] = [
                Record(part.topic, m.partition, m.offset, m.key.decode() if m.key else None, m.value) for m in messages
            ]
            self._positions[part] = messages[-1].offset + 1
        return batch

    async def commit(self, offsets: Mapping[Partition, int]) -> None:
        """Commit; a refusal during a rebalance means the new owner will read these records again."""
        try:
            async with asyncio.timeout(BROKER_TIMEOUT):
                await self._consumer.commit({self._tp(p): o for p, o in offsets.items()})
        except (CommitFailedError, IllegalStateError, RebalanceInProgressError, TimeoutError) as error:
            raise CommitFailed(str(error)) from error

    def seek(self, partition: Partition, offset: int) -> None:
        """Read `partition` again from `offset`."""
        try:
            self._consumer.seek(self._tp(partition), offset)
        except IllegalStateError:
            return  # no longer ours: the new owner resumes from the committed offset
        self._positions[partition] = offset

    def _tp(self, partition: Partition) -> TopicPartition:
        return TopicPartition(self._prefix + partition.topic, partition.partition)

    def lag(self) -> dict[Partition, int]:
        """Highwater minus our position, for the partitions we hold."""
        result: dict[Partition, int] = {}
        for tp in self._consumer.assignment():
            part = Partition(tp.topic.removeprefix(self._prefix), tp.partition)
            highwater = self._consumer.highwater(tp)
            if highwater is not None and part in self._positions:
                result[part] = max(0, highwater - self._positions[part])
        return result
