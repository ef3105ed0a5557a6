"""Typed settings, one class per service, read from environment variables with the service's prefix."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "development-only-secret-change-me-in-production"
MIN_SECRET = 32
"""HS256 keys shorter than the hash (32 bytes) weaken it; RFC 7518 §3.2 requires at least this many."""


class ServiceSettings(BaseSettings):
    """Settings every service has; subclasses set `env_prefix`, e.g. `ATTENDANCE_`."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Unset behaves as production: only the embedded all-in-one and the demo choose development (issue 11).
    environment: Literal["development", "test", "production"] = "production"
    database_url: str = "sqlite+aiosqlite:///./data/service.db"
    # Each replica's pool: at the HPA maxima replicas × (size + overflow) must stay under the pooler's or the server's
    # connection limit (issue 14: the old fixed 10 + 10 gave about 1,680 at the maxima).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # Development and tests migrate at start. In Kubernetes a Job runs `afterschool migrate SERVICE` with the schema
    # owner's credentials first, and the app, whose user has no DDL rights, only checks the schema is at head.
    migrate_on_start: bool = True
    bus: Literal["kafka", "memory"] = "memory"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = ""  # test runs and shared clusters keep their topics apart with a prefix
    kafka_create_topics: bool = False  # development and tests; production topics are Strimzi resources
    kafka_partitions: int = 6
    # How every Kafka client the chassis builds reaches the brokers (chassis/bus/security.py). Kubernetes: SASL_SSL
    # as the service's Strimzi SCRAM user, trusting the cluster CA (deploy/k8s/README.md, "Kafka security").
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None  # SecretStr: repr, logs and errors show ********** only
    kafka_ca_file: str | None = None  # PEM; unset with SSL: the system's trusted CAs
    redis_url: str | None = None
    redis_max_connections: int = 500
    # Messages a live stream may fall behind before it is dropped (chassis/broadcast.py): a slow client must not
    # hold up the others or grow the process without bound; its client reconnects and resumes.
    live_queue_size: int = Field(default=1000, ge=1)
    # The live streams (the lean routes) also served on a port of their own, outside the web framework
    # (chassis/streams.py): ~8 KB a stream instead of ~20. None: only on the main port. 0: a free port (tests).
    stream_port: int | None = Field(default=None, ge=0, le=65535)
    stream_host: str = "0.0.0.0"  # a pod listens on its own interface; the network policy decides who reaches it
    redis_namespace: str = ""  # key and channel prefix, so deployments (or test runs) can share one Redis
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str = PLACEHOLDER_SECRET
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "afterschool"
    jwt_audience: str = "afterschool"
    log_level: str = "INFO"
    # OpenTelemetry (chassis/tracing.py): an OTLP/HTTP collector, e.g. http://otel-collector:4318; none, no spans.
    otlp_endpoint: str | None = None
    access_log: bool = True  # one line per request (method, route template, status, ms): no ids, bodies or tokens
    # Writes (every method but GET, HEAD, OPTIONS) per token and per school in a sliding window (issue 11): above a
    # district system syncing a 700-child roster through the API with one admin token (~3,500 writes in under a
    # minute, as afterschool.district seeds it) and a school's dismissal wave, low enough that one leaked or runaway
    # token is held to 100 writes a second.
    write_limit_per_token: int = Field(default=6000, ge=1)
    write_limit_per_school: int = Field(default=30000, ge=1)
    write_limit_seconds: float = Field(default=60.0, gt=0)
    # How long the chassis' own tables keep a row (chassis/retention.py); the inbox outlives the topics' 7 days.
    outbox_sent_kept_hours: float = Field(default=24.0, gt=0)
    answers_kept_days: float = Field(default=7.0, gt=0)
    inbox_kept_days: float = Field(default=14.0, gt=0)
    # How often the per-school business figures (chassis/figures.py) are read from the service's tables.
    figures_every_seconds: float = Field(default=30.0, gt=0)
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    send_timeout_seconds: float = 10.0
    # A JSON command is a few KB and a 1,000-event check-in batch about 200 KB (chassis/limits.py).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # roster files and payment statements
    # Tests and the demo start separate service processes on one pinned school day (chassis.clock.SteadyClock),
    # so nothing they check depends on the hour or weekday they run at. Never in production.
    clock_start: datetime | None = None

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Self:
        """A production deployment must never run on the dev secret or the embedded stores."""
        if self.jwt_algorithm == "HS256" and self.environment != "test" and len(self.jwt_secret.encode()) < MIN_SECRET:
            raise ValueError(f"an HS256 jwt_secret needs at least {MIN_SECRET} bytes (RFC 7518 §3.2)")
        if self.environment == "production":
            if self.jwt_algorithm == "HS256" and self.jwt_secret == PLACEHOLDER_SECRET:
                raise ValueError("jwt_secret is the development placeholder; set a real secret or use RS256")
            if self.jwt_algorithm == "RS256" and not self.jwt_jwks_url:
                raise ValueError("RS256 needs jwt_jwks_url")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL, not SQLite")
            if self.bus == "memory":
                raise ValueError("production needs the Kafka bus, not the in-process one")
            if self.clock_start is not None:
                raise ValueError("clock_start is for tests and demos; production runs on the wall clock")
        self._check_kafka_security()
        if self.clock_start is not None and self.clock_start.tzinfo is None:
            raise ValueError("clock_start needs a UTC offset, e.g. 2026-11-25T15:00:00+08:00")
        return self

    def _check_kafka_security(self) -> None:
        """Credentials or a CA the protocol would silently ignore are a misconfiguration, as are missing ones."""
        protocol = self.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        if sasl and not (self.kafka_username and self.kafka_password and self.kafka_password.get_secret_value()):
            raise ValueError(f"kafka_security_protocol {protocol} needs kafka_username and kafka_password")
        if not sasl and (self.kafka_username or self.kafka_password):
            raise ValueError(f"kafka_username and kafka_password are unused with {protocol}; use SASL_SSL")
        if self.kafka_ca_file and not protocol.endswith("SSL"):
            raise ValueError(f"kafka_ca_file is unused with {protocol}; use SSL or SASL_SSL")
