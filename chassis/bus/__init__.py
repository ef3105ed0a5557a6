"""The event bus: one interface, two backends (Apache Kafka and in-process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis.bus.base import Bus, BusConsumer, CommitFailed, Partition, Record

if TYPE_CHECKING:
    from chassis.settings import ServiceSettings

__all__ = ["Bus", "BusConsumer", "CommitFailed", "KafkaInTheClear", "Partition", "Record", "build_bus"]


class KafkaInTheClear(ValueError):
    """Production was configured to reach Kafka without TLS."""


def build_bus(settings: ServiceSettings, *, client_id: str = "afterschool") -> Bus:
    """The bus the settings ask for, with their Kafka address, topic prefix and security (aiokafka is imported only
    when Kafka is used). Production refuses a protocol without TLS (PLAINTEXT, the default, or SASL_PLAINTEXT)."""
    if settings.bus == "kafka":
        from chassis.bus.kafka import KafkaBus
        from chassis.bus.security import KafkaSecurity

        security = KafkaSecurity.of(settings)
        # Checked where a Kafka client is made, not by the settings: the migration Jobs load the same production
        # settings, never reach Kafka, and so are given no Kafka credentials (deploy/k8s/base/app/kustomization.yaml).
        if settings.environment == "production" and not security.uses_tls:
            setting = f"{settings.model_config.get('env_prefix', '')}KAFKA_SECURITY_PROTOCOL"
            raise KafkaInTheClear(
                f"production refuses Kafka over {security.protocol}: events and passwords would cross the network in "
                f"the clear, and the per-service ACLs bind to no one (PLAINTEXT's ANONYMOUS). Set {setting}=SASL_SSL "
                'with the service\'s SCRAM user (deploy/k8s/README.md, "Kafka security"); only development and '
                "test may use PLAINTEXT"
            )
        return KafkaBus(
            settings.kafka_bootstrap, client_id=client_id, prefix=settings.kafka_topic_prefix, security=security
        )
    from chassis.bus.memory import MemoryBus

    return MemoryBus()
