"""NT-1 (fees) on the real stack: a child's issued family statement (ST-6) reaches the guardians notify knows for
the child, each in their language, through the channels they chose for the `fees` category (NT-2), once per
event and guardian even when the event is delivered twice (NT-3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from chassis.auth import Role
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope
from contracts.stipend import FamilyStatementIssued
from services.notify import store
from tests.conftest import auth, eventually
from tests.services.conftest import publish_envelopes
from tests.simulators.notify_stack import EMAIL, MUM, ROSTER, deliveries, notify_after, set_preferences

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DAD = auth(Role.GUARDIAN, "dad", school="s1")
GRANNY = auth(Role.GUARDIAN, "granny", school="s1")
FAMILY = [
    *ROSTER,  # 小明 and mum
    GuardianLinked(guardian_id="dad", student_id="xiaoming", school_id="s1", relation="父亲"),
    GuardianLinked(guardian_id="granny", student_id="xiaoming", school_id="s1", relation="祖母"),
    StudentEnrolled(student_id="hong", school_id="s1", class_id="s1-g3-c1", grade=3, name="小红"),
    GuardianLinked(guardian_id="hong-mum", student_id="hong", school_id="s1", relation="母亲"),
]
ISSUED = FamilyStatementIssued(
    statement_id="s1:2026-11:xiaoming",
    student_id="xiaoming",
    school_id="s1",
    month="2026-11",
    gross_fen=9660,
    waived_fen=0,
    late_pickup_fen=1050,
    due_fen=10710,
    adjustments_fen=-460,
    total_fen=10250,
    issued_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
)


async def test_nt_1_an_issued_family_statement_tells_each_guardian_once_by_their_fees_channels(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, FAMILY) as (outside, notify):
        await set_preferences(notify, {"language": "en", "channels": {"fees": ["email"]}, "email": EMAIL})
        # granny wants e-mails about attendance only: a fee statement reaches her in the app alone
        granny_choices = {"language": "zh-CN", "channels": {"attendance": ["email"]}, "email": "granny@example.cn"}
        await set_preferences(notify, granny_choices, headers=GRANNY)
        envelope = Envelope.wrap(ISSUED, source="/stipend", school_id="s1")
        await publish_envelopes(topic_prefix, [envelope, envelope])  # NT-3: a redelivery

        await eventually(lambda: len(outside.mail.messages) == 1)
        await asyncio.sleep(1.0)  # a second notification or e-mail would land now

        runtime = notify.runtime
        async with runtime.db.sessions() as session:
            stored = (
                await session.execute(select(store.Notification).order_by(store.Notification.guardian_id))
            ).scalars()
            told = [(n.guardian_id, n.student_id, n.event_id, n.event_type, n.title, n.body) for n in stored]
        english = (
            "The after-school fee statement of 小明 for 2026-11 is issued: 102.50 yuan "
            "(107.10 yuan this month, -4.60 yuan adjusting earlier months)."
        )
        chinese = "小明2026年11月的课后服务费用账单已出，合计102.50元（本月107.10元，以前月份调整-4.60元）。"
        kind = "stipend.family_statement_issued.v1"
        assert told == [
            ("dad", "xiaoming", envelope.id, kind, "课后服务费用账单", chinese),
            ("granny", "xiaoming", envelope.id, kind, "课后服务费用账单", chinese),
            ("mum", "xiaoming", envelope.id, kind, "Fee statement issued", english),
        ]  # hong-mum, a guardian of another child, is told nothing
        [mail] = outside.mail.messages
        assert (mail["To"], mail["Subject"], mail.get_content().strip()) == (EMAIL, "Fee statement issued", english)
        outside_app = [(d.recipient_id, d.channel, d.state) for d in await deliveries(notify) if d.channel != "in_app"]
        assert outside_app == [("mum", "email", "sent")]
        for headers in (MUM, DAD, GRANNY):
            inbox = (await notify.get("/notify/v1/notifications", headers=headers)).json()["items"]
            assert [n["event_type"] for n in inbox] == [kind]
