"""Tracing (issue 14): one check-in gives one trace, from the kiosk's POST through attendance's SQL and send, over
Kafka in the envelope's traceparent, to notify storing the guardian's alert and pushing it live (Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from contracts.enrollment import GuardianLinked, StudentEnrolled
from services.attendance.app import DEFINITION as ATTENDANCE
from services.notify.app import DEFINITION as NOTIFY
from tests.conftest import eventually, fresh_database, running, stack_settings
from tests.services.conftest import publish_as_producer
from tests.services.test_attendance_check_ins import KIOSK, check_in
from tests.simulators.notify_stack import MUM

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

KIOSK_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
KIOSK_SPAN = "00f067aa0ba902b7"
ROSTER = [
    StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="s1-g3-c1", grade=3, name="小明"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
]


@pytest.fixture
async def notify_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


def service_of(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


async def test_one_check_in_is_one_trace_from_the_kiosk_to_the_guardians_alert(
    pg_url: str, notify_url: str, topic_prefix: str
) -> None:
    spans = InMemorySpanExporter()
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with (
        running(ATTENDANCE, stack_settings(ATTENDANCE, pg_url, topic_prefix), span_exporter=spans) as attendance,
        running(NOTIFY, stack_settings(NOTIFY, notify_url, topic_prefix), span_exporter=spans) as notify,
    ):

        async def knows_him() -> bool:
            answer = await attendance.post("/attendance/v1/check-ins", json=check_in(minutes_ago=30), headers=KIOSK)
            return answer.status_code == 201  # attendance has his roster row (notify reads the same topic)

        await eventually(knows_him)
        await eventually(lambda: _inbox(notify, 1))
        spans.clear()

        headers = {**KIOSK, "traceparent": f"00-{KIOSK_TRACE}-{KIOSK_SPAN}-01"}
        assert (await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)).status_code == 201
        await eventually(lambda: _inbox(notify, 2))
        await eventually(lambda: _processed_in_notify(spans))

    ours = [s for s in spans.get_finished_spans() if s.context.trace_id == int(KIOSK_TRACE, 16)]
    by_id = {s.context.span_id: s for s in ours}

    def under(span: ReadableSpan, ancestor: ReadableSpan) -> bool:
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            if span is ancestor:
                return True
        return False

    (post,) = [s for s in ours if s.kind is SpanKind.SERVER]
    assert (post.name, service_of(post)) == ("POST /attendance/v1/check-ins", "afterschool-attendance")
    assert post.parent is not None
    assert post.parent.span_id == int(KIOSK_SPAN, 16)  # the kiosk's own span
    assert dict(post.attributes or {})["http.response.status_code"] == 201
    statements = [
        dict(s.attributes or {})["db.query.text"]
        for s in ours
        if s.name == "WITH postgresql" and service_of(s) == "afterschool-attendance" and under(s, post)
    ]
    # The check-in and its outbox row, behind the key's lock, in one statement (chassis/shortcut.py, issue 13).
    assert [s for s in statements if "INSERT INTO check_ins" in str(s)], statements

    (send,) = [s for s in ours if s.kind is SpanKind.PRODUCER]
    assert (send.name, service_of(send)) == ("send attendance.events", "afterschool-attendance")
    assert under(send, post)

    (process,) = [s for s in ours if s.kind is SpanKind.CONSUMER]
    assert service_of(process) == "afterschool-notify"
    assert under(process, post)
    alert = [s for s in ours if s.name == "INSERT postgresql" and service_of(s) == "afterschool-notify"]
    assert alert  # the notification and its deliveries
    assert all(under(s, process) for s in alert)
    redis = [s.name for s in ours if "redis" in str(s.attributes) and under(s, process)]
    assert "PUBLISH" in redis  # pushed to the guardian's live stream (chassis/broadcast.py: a PUBLISH a bundle)
    for statement in [s for s in ours if s.name.endswith("postgresql")]:
        assert "小明" not in str(statement.attributes)  # statements go without their values


def _processed_in_notify(spans: InMemorySpanExporter) -> bool:
    return any(
        s.kind is SpanKind.CONSUMER and s.context.trace_id == int(KIOSK_TRACE, 16) for s in spans.get_finished_spans()
    )


async def _inbox(notify: object, count: int) -> bool:
    response = await notify.get("/notify/v2/notifications", headers=MUM)  # type: ignore[attr-defined]
    return response.status_code == 200 and len(response.json()["items"]) == count
