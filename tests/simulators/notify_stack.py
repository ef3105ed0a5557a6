"""Notify on the real stack with every outside provider on loopback: the helpers notify's channel tests share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance import StudentCheckedIn
from contracts.attendance.absence import UnexcusedAbsence
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Event
from services.notify import store
from services.notify.app import DEFINITION
from tests.conftest import SCHOOL_AFTERNOON as SCHOOL_AFTERNOON  # re-exported: bench/notify_providers.py reads it here
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.events import check_in
from tests.services.conftest import publish_as_producer
from tests.simulators.aliyun_sms import AliyunSmsSimulator
from tests.simulators.serve import serve_asgi
from tests.simulators.smtp import MailStore, smtp_server
from tests.simulators.webhook_receiver import WebhookReceiver
from tests.simulators.wechat import SERVER_TOKEN, WeChatSimulator

ROSTER = [
    StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="s1-g3-c1", grade=3, name="小明"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
]
# A Wednesday afternoon in term, Shanghai time: every channel test starts here on a FakeClock, never the wall clock.
MUM = auth(Role.GUARDIAN, "mum", school="s1")
ADMIN = auth(Role.SCHOOL_ADMIN, "s1-admin", school="s1")
PHONE = "+8613800138000"
SMS_RECEIPT_TOKEN = "the-secret-in-the-sms-report-address"
OPENID = "oMum_123"
EMAIL = "mum@example.cn"


@dataclass
class Providers:
    """Every outside provider, running, and the clock they share with notify."""

    clock: FakeClock
    mail: MailStore
    sms: AliyunSmsSimulator
    wechat: WeChatSimulator
    hooks: WebhookReceiver
    settings: dict[str, Any]


@contextlib.asynccontextmanager
async def providers(clock: FakeClock | None = None) -> AsyncIterator[Providers]:
    """SMTP, the SMS and WeChat simulators and a webhook receiver on loopback; notify settings pointing at them."""
    clock = clock or FakeClock(SCHOOL_AFTERNOON)
    sms, wechat, hooks = AliyunSmsSimulator(clock), WeChatSimulator(clock, followers={OPENID}), WebhookReceiver()
    with smtp_server() as (mail, smtp_port):
        async with (
            serve_asgi(sms.app()) as sms_url,
            serve_asgi(wechat.app()) as wechat_url,
            serve_asgi(hooks.app()) as hooks_url,
        ):
            settings = {
                "delivery_tick_seconds": 0.05,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "smtp_sender": "notify@school.example.cn",
                "sms_endpoint": f"{sms_url}/",
                "sms_access_key_id": sms.access_key_id,
                "sms_access_key_secret": sms.access_key_secret,
                "sms_template_code": "SMS_123456789",
                "wechat_api_base": wechat_url,
                "wechat_app_id": wechat.app_id,
                "wechat_app_secret": wechat.app_secret,
                "wechat_template_id": "tpl-attendance",
                "wechat_server_token": SERVER_TOKEN,
                "sms_receipt_token": SMS_RECEIPT_TOKEN,
                "hooks_url": f"{hooks_url}/hook",
            }
            yield Providers(clock, mail, sms, wechat, hooks, settings)


@contextlib.asynccontextmanager
async def notify_with(pg_url: str, prefix: str, outside: Providers, **extra: Any) -> AsyncIterator[ServiceClient]:
    """Notify on the real stack and the providers' clock."""
    values = {k: v for k, v in outside.settings.items() if k != "hooks_url"} | extra
    settings = stack_settings(DEFINITION, pg_url, prefix, **values)
    async with running(DEFINITION, settings, clock=outside.clock) as client:
        yield client


@contextlib.asynccontextmanager
async def notify_after(
    pg_url: str, prefix: str, events: Sequence[Event], **extra: Any
) -> AsyncIterator[tuple[Providers, ServiceClient]]:
    """Notify (and the providers outside it) started once `events` of school s1 are on the bus."""
    await publish_as_producer(prefix, events, school_id="s1")
    async with providers() as outside, notify_with(pg_url, prefix, outside, **extra) as notify:
        yield outside, notify


async def set_preferences(client: ServiceClient, body: dict[str, Any], headers: dict[str, str] = MUM) -> None:
    """The guardian sets their own preferences through the API."""
    response = await client.put("/notify/v1/preferences", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def deliveries(client: ServiceClient, channel: str | None = None) -> list[store.Delivery]:
    """The deliveries notify has stored (read straight from its database)."""
    runtime = client.runtime
    async with runtime.db.sessions() as session:
        query = select(store.Delivery).order_by(store.Delivery.created_at, store.Delivery.delivery_id)
        if channel is not None:
            query = query.where(store.Delivery.channel == channel)
        return list((await session.execute(query)).scalars())


def checked_in(n: int, student: str = "xiaoming") -> StudentCheckedIn:
    """A check-in of the child at 16:n Shanghai time."""
    return check_in(f"c{n}", student, datetime(2026, 11, 25, 8, n, tzinfo=UTC))


def absent(case: str = "a1") -> UnexcusedAbsence:
    """AT-3: the child did not arrive and has no leave (urgent)."""
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    return UnexcusedAbsence(
        case_id=case,
        student_id="xiaoming",
        school_id="s1",
        class_id="s1-g3-c1",
        session_id="s:2026-11-25",
        day=at.date(),
        session_starts_at=at,
        detected_at=at,
    )


async def states(client: ServiceClient, channel: str) -> list[str]:
    """The states of a channel's deliveries, oldest first."""
    return [d.state for d in await deliveries(client, channel)]


def in_states(client: ServiceClient, channel: str, expected: list[str]) -> Any:
    """A check for `eventually`: the channel's deliveries are in exactly these states."""

    async def check() -> bool:
        return await states(client, channel) == expected

    return check
