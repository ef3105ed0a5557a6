"""The event bus: one interface, two backends (Apache Kafka and in-process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis.bus.base import Bus, BusConsumer, CommitFailed, Partition, Record

if TYPE_CHECKING:
    from chassis.settings import ServiceSettings

__all__ = ["Bus", "BusConsumer", "CommitFailed", "Partition", "Record", "build_bus"]


def build_bus(settings: ServiceSettings, *, client_id: str = "afterschool") -> Bus:
    """The bus the settings ask for, with their Kafka address, topic prefix and security (aiokafka is imported only
    when Kafka is used)."""
    if settings.bus == "kafka":
        from chassis.bus.kafka import KafkaBus
        from chassis.bus.security import KafkaSecurity

        return KafkaBus(
            settings.kafka_bootstrap,
            client_id=client_id,
            prefix=settings.kafka_topic_prefix,
            security=KafkaSecurity.of(settings),
        )
    from chassis.bus.memory import MemoryBus

    return MemoryBus()
