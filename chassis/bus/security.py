"""How the Kafka clients authenticate and encrypt, read once from the settings and given to every aiokafka producer,
consumer and admin client the chassis builds (chassis/bus/kafka.py).

Kubernetes uses SASL_SSL: the service's Strimzi SCRAM-SHA-512 user, verified against the cluster CA
(deploy/k8s/README.md, "Kafka security"). PLAINTEXT is for the local stack's plain listener.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

if TYPE_CHECKING:
    from chassis.settings import ServiceSettings

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


@dataclass(frozen=True)
class KafkaSecurity:
    """A client's security protocol, SASL credentials and the CA it trusts; its repr never shows the password."""

    protocol: Protocol = "PLAINTEXT"
    mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: str | None = None  # None with SSL: the system's trusted CAs

    @classmethod
    def of(cls, settings: ServiceSettings) -> KafkaSecurity:
        """From the settings' `kafka_security_protocol`, `_sasl_mechanism`, `_username`, `_password`, `_ca_file`."""
        return cls(
            protocol=settings.kafka_security_protocol,
            mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_username,
            password=settings.kafka_password,
            ca_file=settings.kafka_ca_file,
        )

    @property
    def uses_sasl(self) -> bool:
        """SASL_PLAINTEXT or SASL_SSL."""
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        """SSL or SASL_SSL."""
        return self.protocol.endswith("SSL")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            # Verifies the broker's certificate and host name (aiokafka needs a context for SSL, it makes none).
            options["ssl_context"] = ssl.create_default_context(cafile=self.ca_file)
        if self.uses_sasl:
            if not self.username or self.password is None:
                raise ValueError(f"Kafka {self.protocol} needs a username and a password")
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password.get_secret_value(),
            }
        return options
