"""The event bus: one interface, two backends (Apache Kafka and in-process)."""

from chassis.bus.base import Bus, BusConsumer, CommitFailed, Partition, Record

__all__ = ["Bus", "BusConsumer", "CommitFailed", "Partition", "Record", "build_bus"]


def build_bus(kind: str, *, bootstrap: str = "", client_id: str = "afterschool", prefix: str = "") -> Bus:
    """The bus a settings object asks for (aiokafka is imported only when Kafka is used)."""
    if kind == "kafka":
        from chassis.bus.kafka import KafkaBus

        return KafkaBus(bootstrap, client_id=client_id, prefix=prefix)
    from chassis.bus.memory import MemoryBus

    return MemoryBus()
