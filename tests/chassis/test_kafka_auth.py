"""Kafka security (issue 14): the services authenticate as their own SCRAM-SHA-512 users over TLS, and the ACLs of
deploy/k8s/base/kafka/users.yaml bind them, on the local stack's SASL_SSL listener (deploy/local/lib/kafka.sh applies
those same KafkaUsers, with the password `<user>-local-password`).

The ACLs name the real topics and groups, so these tests use them unprefixed, with ids of their own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka.errors import TopicAuthorizationFailedError
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select

from chassis.app import ServiceDefinition
from chassis.auth import Role
from chassis.bus import KafkaInTheClear, build_bus
from chassis.bus.kafka import KafkaAccessRefused, KafkaBus
from chassis.bus.security import KafkaSecurity
from chassis.deadletters import replay_dead_letters
from chassis.settings import ServiceSettings
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope, Event
from services.attendance.app import DEFINITION as ATTENDANCE
from services.attendance.store import RosterStudent
from services.enrollment.app import DEFINITION as ENROLLMENT
from services.notify.app import DEFINITION as NOTIFY
from tests.conftest import (
    SCHOOL_AFTERNOON,
    ServiceClient,
    auth,
    eventually,
    fresh_database,
    running,
    stack_settings,
)
from tests.e2e.processes import free_port

pytestmark = pytest.mark.timeout(90)

SASL = os.environ.get("AFTERSCHOOL_TEST_KAFKA_SASL")
CA = os.environ.get("AFTERSCHOOL_TEST_KAFKA_CA")
on_the_secure_listener = pytest.mark.skipif(
    not (SASL and CA), reason="the stack has no SASL_SSL listener yet: `deploy/local/stack down && up` adds it"
)


def as_user(user: str, password: str | None = None, *, bootstrap: str | None = SASL) -> dict[str, Any]:
    """Settings for the secure listener as `user` (by default with its local password)."""
    return {
        "kafka_bootstrap": bootstrap,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_username": user,
        "kafka_password": password or f"{user}-local-password",
        "kafka_ca_file": CA,
        "kafka_topic_prefix": "",
        "kafka_create_topics": False,  # topics are the stack's, as in Kubernetes they are Strimzi's
    }


def service_bus(settings_class: type[ServiceSettings], user: str, password: str | None = None) -> KafkaBus:
    bus = build_bus(settings_class(environment="test", bus="kafka", **as_user(user, password)), client_id=user)
    assert isinstance(bus, KafkaBus)
    return bus


async def publish(bus: KafkaBus, events: list[Event], school: str) -> None:
    await bus.start()
    try:
        for event in events:
            envelope = Envelope.wrap(event, source="/test", school_id=school)
            await bus.publish(event.topic, event.key(), envelope.to_bytes())
    finally:
        await bus.stop()


# --------------------------------------------------------------------------- settings


def test_sasl_needs_credentials_and_settings_never_show_the_password() -> None:
    with pytest.raises(ValidationError, match="needs kafka_username and kafka_password"):
        ServiceSettings(environment="test", kafka_security_protocol="SASL_SSL", kafka_username="notify")
    with pytest.raises(ValidationError, match="unused with PLAINTEXT"):
        ServiceSettings(environment="test", kafka_username="notify", kafka_password="x")
    with pytest.raises(ValidationError, match="kafka_ca_file is unused with SASL_PLAINTEXT"):
        ServiceSettings(
            environment="test",
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_username="notify",
            kafka_password="x",
            kafka_ca_file="/ca.crt",
        )
    # Nothing here connects: the settings are the same whether or not the stack has a secure listener.
    offline = as_user("notify", "pa55-word-never-shown", bootstrap="kafka-bootstrap:9093") | {"kafka_ca_file": None}
    settings = ServiceSettings(environment="test", **offline)
    security = KafkaSecurity.of(settings)
    assert "pa55-word-never-shown" not in repr(settings) + str(settings) + repr(security)
    options = security.client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("notify", "pa55-word-never-shown")
    assert options["ssl_context"].check_hostname, "the broker's name is verified"


def test_every_service_reads_the_kafka_security_settings_with_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("NOTIFY_KAFKA_USERNAME", "notify")
    monkeypatch.setenv("NOTIFY_KAFKA_PASSWORD", "from-the-strimzi-secret")
    monkeypatch.setenv("NOTIFY_KAFKA_CA_FILE", "/etc/afterschool/kafka-ca/ca.crt")
    settings = NOTIFY.settings_class(environment="test")
    assert KafkaSecurity.of(settings) == KafkaSecurity(
        "SASL_SSL", "SCRAM-SHA-512", "notify", SecretStr("from-the-strimzi-secret"), "/etc/afterschool/kafka-ca/ca.crt"
    )


PRODUCTION: dict[str, Any] = {
    "bus": "kafka",
    "database_url": "postgresql+asyncpg://attendance_app@db/attendance",
    "jwt_algorithm": "RS256",
    "jwt_jwks_url": "https://idp.district.example/jwks",
}
SCRAM = as_user("attendance", bootstrap="kafka-bootstrap:9093") | {"kafka_ca_file": None}


@pytest.mark.parametrize(
    ("environment", "security", "refused"),
    [
        ("production", {}, True),  # PLAINTEXT, the default
        ("production", {"kafka_security_protocol": "PLAINTEXT"}, True),
        ("production", SCRAM | {"kafka_security_protocol": "SASL_PLAINTEXT"}, True),
        ("production", SCRAM | {"kafka_security_protocol": "SASL_SSL"}, False),
        ("development", {}, False),
        ("test", {}, False),
    ],
)
def test_production_refuses_kafka_in_the_clear(environment: str, security: dict[str, Any], refused: bool) -> None:
    settings = ATTENDANCE.settings_class(**PRODUCTION | {"environment": environment} | security)
    if refused:
        with pytest.raises(
            KafkaInTheClear, match=r"production refuses Kafka over .*ATTENDANCE_KAFKA_SECURITY_PROTOCOL"
        ):
            build_bus(settings)
    else:
        assert isinstance(build_bus(settings), KafkaBus)


async def test_a_production_start_on_plaintext_kafka_fails_before_touching_anything(tmp_path: Path) -> None:
    """`afterschool serve` with ENVIRONMENT unset (production) and no Kafka protocol: the process exits with the
    reason, before it reaches the database (which does not exist here) or the broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTENDANCE_")}
    env |= {f"ATTENDANCE_{k.upper()}": v for k, v in PRODUCTION.items()}
    env["ATTENDANCE_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:9/nowhere"
    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "afterschool", "serve", "attendance", "--port", str(free_port()),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(60):
        output, _ = await serve.communicate()
    assert serve.returncode != 0
    assert b"production refuses Kafka over PLAINTEXT" in output
    assert b"Set ATTENDANCE_KAFKA_SECURITY_PROTOCOL=SASL_SSL" in output
    assert b"nowhere" not in output, "refused before the database was tried"


# --------------------------------------------------------------------------- on the broker


@pytest.fixture
async def notify_over_scram(pg_url: str) -> AsyncIterator[ServiceClient]:
    async with running(NOTIFY, over_scram(NOTIFY, pg_url)) as client:
        yield client


@on_the_secure_listener
async def test_a_kiosk_check_in_reaches_the_guardian_with_every_service_as_its_own_scram_user(
    notify_over_scram: ServiceClient,
) -> None:
    """Through the product: enrollment's bus publishes the roster; the attendance app, as user `attendance`, reads it,
    takes the kiosk's check-in POST and its outbox relay publishes the event; the notify app, as `notify`, stores the
    guardian's alert (NT-1). Three SCRAM users over TLS, each within its ACLs."""
    student, mum, school = (f"{what}-{uuid.uuid4().hex[:8]}" for what in ("student", "mum", "school"))
    await publish(
        service_bus(ENROLLMENT.settings_class, "enrollment"),
        [
            StudentEnrolled(student_id=student, school_id=school, class_id=f"{school}-g3-c1", grade=3, name="小明"),
            GuardianLinked(guardian_id=mum, student_id=student, school_id=school, relation="母亲"),
        ],
        school,
    )
    async with fresh_database() as database, running(ATTENDANCE, over_scram(ATTENDANCE, database)) as attendance:
        await eventually(lambda: _rostered(attendance, student), timeout=60)
        check_in = {
            "student_id": student,
            "occurred_at": SCHOOL_AFTERNOON.isoformat(),
            "device_id": f"{school}-kiosk-gate",
            "method": "face",
        }
        kiosk = auth(Role.KIOSK, f"{school}-kiosk-gate", school=school) | {"Idempotency-Key": f"k-{student}"}
        created = await attendance.post("/attendance/v1/check-ins", json=check_in, headers=kiosk)
        assert created.status_code == 201, created.text

        async def alerted() -> bool:
            response = await notify_over_scram.get(
                "/notify/v1/notifications", headers=auth(Role.GUARDIAN, mum, school=school)
            )
            assert response.status_code == 200
            return [n["body"] for n in response.json()["items"]] == ["小明已于15:00签到参加课后服务。"]

        await eventually(alerted, timeout=60)
        assert await _unsent(attendance) == 0, "the relay published it as `attendance`"


def over_scram(definition: ServiceDefinition, database_url: str) -> ServiceSettings:
    """A service app on the stack's PostgreSQL and Redis, reaching Kafka as its own SCRAM user."""
    namespace = f"t{uuid.uuid4().hex[:10]}."
    return stack_settings(definition, database_url, "", redis_namespace=namespace, **as_user(definition.name))


async def _rostered(attendance: ServiceClient, student: str) -> bool:
    async with attendance.runtime.db.sessions() as session:
        found = await session.execute(select(RosterStudent.student_id).where(RosterStudent.student_id == student))
    return found.first() is not None


async def _unsent(service: ServiceClient) -> int:
    outbox = service.runtime.tables.outbox
    async with service.runtime.db.sessions() as session:
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


@on_the_secure_listener
async def test_a_service_user_is_refused_another_services_topic() -> None:
    bus = service_bus(ATTENDANCE.settings_class, "attendance")
    await bus.start()
    try:
        await bus.publish("attendance.events", "probe", b"{}")  # its own: allowed
        with pytest.raises(TopicAuthorizationFailedError):
            await bus.publish("homework.events", "probe", b"{}")
    finally:
        await bus.stop()
    consumer = service_bus(ATTENDANCE.settings_class, "attendance").consumer("attendance", ["stipend.events"])
    try:
        with pytest.raises(TopicAuthorizationFailedError):  # reading is refused too, when joining
            await consumer.start()
    finally:
        await consumer.stop()


@on_the_secure_listener
async def test_dead_letters_are_replayed_as_the_operators_user_not_the_services() -> None:
    """The replay writes to the event's original topic, another service's: notify's own user is refused, the
    operator's "replay" user (deploy/k8s/base/kafka/users.yaml) may, as RUNBOOK.md "Replaying dead letters" says."""
    student = f"student-{uuid.uuid4().hex[:8]}"
    event = StudentCheckedIn(
        check_in_id=f"c-{student}",
        student_id=student,
        school_id="nowhere",
        device_id="kiosk",
        method=CheckInMethod.CARD,
        occurred_at=datetime(2026, 11, 25, 8, 5, tzinfo=UTC),
        session_date="2026-11-25",
    )
    value = Envelope.wrap(event, source="/test", school_id="nowhere").to_bytes().decode()
    notify = service_bus(NOTIFY.settings_class, "notify")
    await notify.start()
    try:
        letter = {"topic": event.topic, "key": event.key(), "value": value}
        await notify.publish("notify.deadletters", event.key(), orjson.dumps(letter))  # as its consumer parks one
        with pytest.raises(TopicAuthorizationFailedError):
            await replay_dead_letters(notify, "notify", idle_seconds=1.0)
    finally:
        await notify.stop()
    operator = service_bus(NOTIFY.settings_class, "replay")
    await operator.start()
    try:
        assert await replay_dead_letters(operator, "notify", idle_seconds=1.0) >= 1
    finally:
        await operator.stop()


@on_the_secure_listener
async def test_a_wrong_password_fails_at_once_and_clearly_without_showing_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bus = service_bus(NOTIFY.settings_class, "notify", "not-notifys-password")
    started = time.monotonic()
    with pytest.raises(KafkaAccessRefused) as refused:
        await bus.start()
    assert time.monotonic() - started < 10, "not retried for half a minute like a broker that is down"
    assert "user 'notify'" in str(refused.value)
    assert "SaslAuthenticationFailed" in str(refused.value)
    assert "not-notifys-password" not in str(refused.value) + caplog.text


@on_the_secure_listener
async def test_the_password_is_in_neither_the_logs_nor_healthz(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = ENROLLMENT.settings_class(
        environment="test", bus="kafka", database_url=f"sqlite+aiosqlite:///{tmp_path}/e.db", **as_user("enrollment")
    )
    async with running(ENROLLMENT, settings) as client:
        health = await client.get("/healthz")
        assert health.json()["checks"]["bus"] == "ok", "authenticated over TLS"
        everything = health.text + (await client.get("/metrics")).text + (await client.get("/readyz")).text
    assert "enrollment-local-password" not in everything + caplog.text
