"""What every bus backend offers: keyed publish with acknowledgement, and consumer groups with offsets."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import NamedTuple


class Partition(NamedTuple):
    """A topic partition."""

    topic: str
    partition: int


class Record(NamedTuple):
    """One message as a consumer receives it (a tuple: made per record fetched, at a third of a dataclass's cost)."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes

    @property
    def where(self) -> Partition:
        """The partition it came from."""
        return Partition(self.topic, self.partition)


class CommitFailed(Exception):
    """An offset commit was refused (e.g. the partition moved in a rebalance): the records will come again."""


class BusConsumer(ABC):
    """A member of a consumer group, reading with manual offset commits only."""

    @abstractmethod
    async def start(self) -> None:
        """Join the group."""

    @abstractmethod
    async def stop(self) -> None:
        """Leave the group."""

    @abstractmethod
    async def getmany(self, *, timeout: float, max_records: int) -> dict[Partition, list[Record]]:
        """Records fetched since the last call, by partition, in offset order (empty after `timeout`)."""

    @abstractmethod
    async def commit(self, offsets: Mapping[Partition, int]) -> None:
        """Commit the next offset to read per partition; raises CommitFailed if the group refuses."""

    @abstractmethod
    def seek(self, partition: Partition, offset: int) -> None:
        """Read `partition` again from `offset` (redelivery after a failed handling)."""

    @abstractmethod
    def lag(self) -> dict[Partition, int]:
        """Per assigned partition, how many records lie between our position and the end."""


class Bus(ABC):
    """Keyed publishing and consumer groups; records of one key keep their order."""

    @abstractmethod
    async def start(self) -> None:
        """Connect the producer."""

    @abstractmethod
    async def stop(self) -> None:
        """Flush and disconnect."""

    @abstractmethod
    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Return once the bus has durably accepted the record."""

    @abstractmethod
    def consumer(self, group: str, topics: Sequence[str]) -> BusConsumer:
        """A new member of `group` subscribed to `topics`."""

    @abstractmethod
    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        """Create the topics that do not exist yet."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the bus cannot be reached."""
