"""NT-1 on the real stack: guardians are told about check-out, refused pickups, not collected, absence, leave and
emergency broadcasts; urgent ones are flagged; each event once per recipient (NT-3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from chassis.auth import Role
from contracts.attendance import absence, dismissal, emergency
from contracts.enrollment import GuardianLinked, PickupPersonAdded, StudentEnrolled, StudentErased
from contracts.envelope import Envelope
from services.notify import consumers
from services.notify.app import DEFINITION
from services.notify.attendance_alerts.handlers import read_ahead
from services.notify.reference import handlers as reference
from services.notify.reference import store as ref
from services.notify.store import Delivery, Notification
from tests.conftest import ServiceClient, auth, eventually, running, sql_statements, stack_settings
from tests.services.conftest import publish_as_producer, publish_envelopes

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DAY = date(2026, 11, 25)
AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 17:30 at school
ROSTER = [
    StudentEnrolled(student_id="ming", school_id="s1", class_id="g3", grade=3, name="小明"),
    GuardianLinked(guardian_id="mum", student_id="ming", school_id="s1", relation="母亲"),
    GuardianLinked(guardian_id="dad", student_id="ming", school_id="s1", relation="父亲", preferred_language="en"),
    StudentEnrolled(student_id="hong", school_id="s1", class_id="g5", grade=5, name="小红"),
    StudentEnrolled(student_id="hua", school_id="s1", class_id="g5", grade=5, name="小华"),
    GuardianLinked(guardian_id="hong-mum", student_id="hong", school_id="s1", relation="母亲"),
    GuardianLinked(guardian_id="hong-mum", student_id="hua", school_id="s1", relation="母亲"),
    StudentEnrolled(student_id="far", school_id="s2", class_id="x5", grade=5, name="远"),
    GuardianLinked(guardian_id="far-mum", student_id="far", school_id="s2", relation="母亲"),
]


async def told(client: ServiceClient, guardian: str, school: str = "s1") -> list[dict[str, Any]]:
    response = await client.get("/notify/v1/notifications", headers=auth(Role.GUARDIAN, guardian, school=school))
    assert response.status_code == 200
    return list(reversed(response.json()["items"]))


@pytest.fixture
async def notify(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    await publish_as_producer(topic_prefix, ROSTER[:-2], school_id="s1")
    await publish_as_producer(topic_prefix, ROSTER[-2:], school_id="s2")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        yield client


async def test_nt_1_a_childs_afternoon_reaches_their_guardians_urgent_ones_flagged(notify: ServiceClient) -> None:
    ladder: dict[str, Any] = {
        "student_id": "ming", "school_id": "s1", "day": DAY, "dismissal_at": AT, "minutes_after_dismissal": 20
    }  # fmt: skip
    events = [
        absence.UnexcusedAbsence(
            case_id="a1", student_id="ming", school_id="s1", class_id="g3", session_id="hw:2026-11-25", day=DAY,
            session_starts_at=AT, detected_at=AT,
        ),
        absence.LeaveApproved(
            leave_id="l1", student_id="ming", school_id="s1", class_id="g3", day=DAY, decided_by="t",
            decided_at=AT, requested_by="mum",
        ),
        dismissal.PickupRefused(
            refusal_id="r1", student_id="ming", school_id="s1", occurred_at=AT,
            reason=dismissal.RefusalReason(next(iter(dismissal.RefusalReason))), restricted=True, urgent=True,
            attempted_by="kiosk",
        ),
        dismissal.StudentNotCollected(
            **ladder, step=1, escalation=dismissal.EscalationStep.GUARDIAN_1, recipient_id="mum"
        ),
        dismissal.StudentNotCollected(**ladder, step=4, escalation=dismissal.EscalationStep.DUTY_LEADER),
        dismissal.StudentCheckedOut(
            check_out_id="o1", student_id="ming", school_id="s1", day=DAY, occurred_at=AT,
            release=dismissal.Release.PICKUP_PERSON, handled_by=next(iter(dismissal.HandledBy)),
        ),
        dismissal.LatePickupCharged(
            check_out_id="o1", student_id="ming", school_id="s1", day=DAY, minutes_late=20, blocks=2, fee_fen=1050
        ),
    ]  # fmt: skip
    envelopes = [Envelope.wrap(e, source="/attendance", school_id="s1") for e in events]
    await publish_envelopes(notify.prefix, [*envelopes, envelopes[2]])

    async def all_arrived() -> bool:
        # The guardian-1 call goes to mum alone; the duty-leader rung reaches staff, not the guardians (AT-6).
        return len(await told(notify, "dad")) == len(events) - 2

    await eventually(all_arrived)
    await asyncio.sleep(1.0)  # a duplicate would land now (NT-3)
    mum = await told(notify, "mum")
    assert [(n["body"], n["urgent"]) for n in mum] == [
        ("小明未到课后服务签到，且未请假，请尽快联系班主任。", True),
        ("小明的请假申请已批准。", False),
        ("受限制人员试图接走小明，已被拒绝，学校已知悉。", True),
        ("小明仍在等待接走（第1次提醒）。", True),
        ("小明已于17:30由接送人接走。", False),
        ("小明产生延时接送费10.50元。", False),
    ]
    dad = [n["body"] for n in await told(notify, "dad")]
    assert "小明 is still waiting to be collected (call 1)." not in dad
    assert "小明 is still waiting to be collected (call 4)." not in dad
    assert await told(notify, "hong-mum") == []


async def test_at_7_a_broadcast_to_some_grades_reaches_each_of_their_guardians_once(notify: ServiceClient) -> None:
    broadcast = emergency.EmergencyBroadcast(
        broadcast_id="b1", school_id="s1", grades=[5], drill=False, reason=emergency.EmergencyReason.WEATHER,
        dismiss_at=datetime(2026, 11, 25, 7, 0, tzinfo=UTC), issued_by="admin", note="请带好雨具。",
    )  # fmt: skip
    clear = emergency.EmergencyAllClear(broadcast_id="b1", school_id="s1", grades=[5], drill=False, cleared_by="admin")
    await publish_as_producer(notify.prefix, [broadcast, clear], school_id="s1")

    async def arrived() -> bool:
        return len(await told(notify, "hong-mum")) == 2

    await eventually(arrived)
    await asyncio.sleep(1.0)
    hong_mum = await told(notify, "hong-mum")  # two children in grade 5, one notification per broadcast
    assert [(n["body"], n["urgent"]) for n in hong_mum] == [
        ("因恶劣天气，学校将于15:00提前放学。请带好雨具。", True),
        ("学校提前放学警报已解除。", False),
    ]
    assert await told(notify, "mum") == []  # grade 3
    assert await told(notify, "far-mum", school="s2") == []  # another school


async def test_nt_1_a_check_out_alert_names_who_collected_the_child_their_relation_and_when(
    notify: ServiceClient,
) -> None:
    grandma = PickupPersonAdded(
        person_id="p-waipo",
        student_id="ming",
        school_id="s1",
        relation="外婆",
        credential_ref="card-77",
        name="王秀英",
    )
    await publish_as_producer(notify.prefix, [grandma], school_id="s1")

    async def known() -> bool:
        async with notify.runtime.db.sessions() as session:
            return await session.get(ref.PickupPerson, ("p-waipo", "ming")) is not None

    await eventually(known)
    out = dismissal.StudentCheckedOut(
        check_out_id="o2", student_id="ming", school_id="s1", day=DAY,
        occurred_at=datetime(2026, 11, 25, 9, 5, tzinfo=UTC), release=dismissal.Release.PICKUP_PERSON,
        person_id="p-waipo", handled_by=dismissal.HandledBy.STAFF,
    )  # fmt: skip
    envelope = Envelope.wrap(out, source="/attendance", school_id="s1")
    await publish_envelopes(notify.prefix, [envelope, envelope])

    async def both_told() -> bool:
        return len(await told(notify, "mum")) == len(await told(notify, "dad")) == 1

    await eventually(both_told)
    await asyncio.sleep(1.0)  # a duplicate would land now (NT-3)
    assert [n["body"] for n in await told(notify, "mum")] == ["小明已于17:05由外婆王秀英接走。"]
    assert [n["body"] for n in await told(notify, "dad")] == ["小明 was collected by 王秀英 (外婆) at 17:05."]


async def test_a_batch_of_check_outs_reads_its_children_guardians_and_collectors_once(notify: ServiceClient) -> None:
    """Issue 13: the consumer's prefetch (`read_ahead`) reads a batch's roster rows in one statement each; every
    alert's handler then reads none of them, and each alert still names the right guardians and collector (NT-1)."""
    grandma = PickupPersonAdded(
        person_id="p-waipo", student_id="ming", school_id="s1", relation="外婆", credential_ref="card-77", name="王秀英"
    )
    await publish_as_producer(notify.prefix, [grandma], school_id="s1")

    async def known() -> bool:
        async with notify.runtime.db.sessions() as session:
            return await session.get(ref.PickupPerson, ("p-waipo", "ming")) is not None

    await eventually(known)
    outs = [
        dismissal.StudentCheckedOut(
            check_out_id=f"batch-{child}", student_id=child, school_id="s1", day=DAY, occurred_at=AT,
            release=dismissal.Release.PICKUP_PERSON, person_id="p-waipo" if child == "ming" else None,
            handled_by=dismissal.HandledBy.STAFF,
        )
        for child in ("ming", "hong", "hua")
    ]  # fmt: skip
    subscription = consumers.subscription(notify.runtime)
    assert subscription.prefetch is read_ahead
    roster_tables = ("known_students", "guardian_links", "guardian_preferences", "pickup_persons")
    async with notify.runtime.uow() as uow:
        await read_ahead(uow, outs)
        with sql_statements(notify.runtime.db) as seen:
            for out in outs:
                handler = subscription.handler_for(out.type)
                assert handler is not None
                await handler(uow, out, Envelope.wrap(out, source="/attendance", school_id="s1"))
        with sql_statements(notify.runtime.db, lambda s: s.lstrip().upper().startswith("INSERT INTO")) as inserts:
            await uow.commit()

    assert [s for s in seen if s.lstrip().upper().startswith("SELECT") and any(t in s for t in roster_tables)] == []
    # the batch's notifications and deliveries: one statement a table, at the commit (issue 13)
    assert [s for s in seen if s.lstrip().upper().startswith("INSERT INTO")] == []
    assert sorted(s.split()[2] for s in inserts) == ["deliveries", "notifications"]
    assert [n["body"] for n in await told(notify, "mum")] == ["小明已于17:30由外婆王秀英接走。"]
    assert [n["body"] for n in await told(notify, "dad")] == ["小明 was collected by 王秀英 (外婆) at 17:30."]
    assert len(await told(notify, "hong-mum")) == 2  # one alert for each of her two children


async def test_a_guardian_linked_later_in_a_batch_is_told_about_the_events_after_the_link(
    notify: ServiceClient,
) -> None:
    """What a transaction remembers of a child's guardians is forgotten when a handler of the same batch links one
    (reference data and alerts share enrollment's topic), so the next alert reaches the new guardian too."""

    async def linked() -> bool:
        async with notify.runtime.uow() as uow:
            return len((await ref.links_of(uow, ["ming"]))["ming"]) == 2

    await eventually(linked)
    grandpa = GuardianLinked(guardian_id="grandpa", student_id="ming", school_id="s1", relation="外公")
    async with notify.runtime.uow() as uow:
        before = sorted(link.guardian_id for link in (await ref.links_of(uow, ["ming"]))["ming"])
        await reference.link_guardian(uow, grandpa, Envelope.wrap(grandpa, source="/enrollment", school_id="s1"))
        after = sorted(link.guardian_id for link in (await ref.links_of(uow, ["ming"]))["ming"])
    assert before == ["dad", "mum"]
    assert after == ["dad", "grandpa", "mum"]


async def test_an_erasure_later_in_a_batch_erases_the_alerts_the_batch_wrote_before_it(notify: ServiceClient) -> None:
    """A batch's alerts are written at its commit; a child's erasure in the same transaction writes them first, so it
    deletes them with the rest (EN-9), and nothing about the child is left behind."""

    async def linked() -> bool:
        async with notify.runtime.uow() as uow:
            return len((await ref.links_of(uow, ["ming"]))["ming"]) == 2

    await eventually(linked)
    out = dismissal.StudentCheckedOut(
        check_out_id="before-erasure", student_id="ming", school_id="s1", day=DAY, occurred_at=AT,
        release=dismissal.Release.PICKUP_PERSON, handled_by=dismissal.HandledBy.STAFF,
    )  # fmt: skip
    erased = StudentErased(student_id="ming", school_id="s1", left_on=DAY, guardian_ids=["mum", "dad"])
    subscription = consumers.subscription(notify.runtime)
    async with notify.runtime.uow() as uow:
        for event, source in ((out, "/attendance"), (erased, "/enrollment")):
            handler = subscription.handler_for(event.type)
            assert handler is not None
            await handler(uow, event, Envelope.wrap(event, source=source, school_id="s1"))
        await uow.commit()
    async with notify.runtime.db.sessions() as session:
        about = Notification.student_id == "ming"
        assert (await session.execute(select(func.count()).select_from(Notification).where(about))).scalar_one() == 0
        deliveries = select(func.count()).select_from(Delivery).where(Delivery.recipient_id.in_(["mum", "dad"]))
        assert (await session.execute(deliveries)).scalar_one() == 0
