"""Staff inboxes on the real stack (issue 10, "staff recipients"): the class teacher on an unexcused absence (AT-3)
and on "missing from session" (BX-4); the class teacher and the day's duty leader at the not-collected ladder's staff
rungs, where the guardians are not told again (AT-6); the session's service teacher, the duty leader and the school
office on an unaccepted handover (BX-3); the school office on a custody refusal (BX-2). Each right inbox gets exactly
one notification per event, a redelivery adds nothing (NT-3), and nobody else's inbox gets it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from chassis.auth import Role
from contracts.attendance.dismissal import EscalationStep, PickupRefused, RefusalReason, StudentNotCollected
from contracts.attendance.handover import EscalateTo, HandoverUnacceptedEscalated
from contracts.attendance.reconciliation import StudentMissingFromSession
from contracts.enrollment import DutyRosterSet, StaffMemberRegistered, StaffRole
from contracts.envelope import Envelope, Event
from services.notify.reference import store as ref
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import every_page, publish_envelopes
from tests.simulators.notify_stack import MUM, ROSTER, absent, checked_in, notify_after, notify_with, providers

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DAY = date(2026, 11, 25)
TEACHER = auth(Role.CLASS_TEACHER, "t-wang", school="s1")
DUTY = auth(Role.DUTY_LEADER, "duty-li", school="s1")
OFF_DUTY = auth(Role.DUTY_LEADER, "duty-zhao", school="s1")  # a duty leader, not on today's roster
SERVICE = auth(Role.SERVICE_TEACHER, "svc-chen", school="s1")
OFFICE = [auth(Role.SCHOOL_ADMIN, "office-a", school="s1"), auth(Role.SCHOOL_ADMIN, "office-b", school="s1")]
STAFF = [
    StaffMemberRegistered(staff_id="t-wang", school_id="s1", roles=[StaffRole.CLASS_TEACHER]),
    StaffMemberRegistered(staff_id="duty-li", school_id="s1", roles=[StaffRole.DUTY_LEADER]),
    StaffMemberRegistered(staff_id="duty-zhao", school_id="s1", roles=[StaffRole.DUTY_LEADER]),
    StaffMemberRegistered(staff_id="svc-chen", school_id="s1", roles=[StaffRole.SERVICE_TEACHER]),
    StaffMemberRegistered(staff_id="office-a", school_id="s1", roles=[StaffRole.SCHOOL_ADMIN]),
    StaffMemberRegistered(staff_id="office-b", school_id="s1", roles=[StaffRole.SCHOOL_ADMIN, StaffRole.DUTY_LEADER]),
    StaffMemberRegistered(staff_id="s2-office", school_id="s2", roles=[StaffRole.SCHOOL_ADMIN]),
    DutyRosterSet(school_id="s1", day=DAY, staff_ids=["duty-li"]),
]


def not_collected(
    step: int, escalation: EscalationStep, recipient: str | None, day: date = DAY, teacher: str | None = "t-wang"
) -> StudentNotCollected:
    return StudentNotCollected(
        student_id="xiaoming",
        school_id="s1",
        day=day,
        step=step,
        escalation=escalation,
        recipient_id=recipient,
        class_teacher_id=teacher,
        dismissal_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        minutes_after_dismissal=15 * step,
    )


async def inbox(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = "/notify/v1/staff/notifications"
) -> list[str]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return [item["body"] for item in response.json()["items"]]


async def staff_known(client: ServiceClient) -> bool:
    """Notify has applied the staff and the duty roster (so the alerts after them find their staff)."""
    async with client.runtime.db.sessions() as session:
        staff = await session.scalar(select(func.count()).select_from(ref.KnownStaff))
        rostered = await session.scalar(select(func.count()).select_from(ref.DutyLeaderOnDay))
    return (staff, rostered) == (7, 1)


async def publish_twice(prefix: str, events: Sequence[Event]) -> None:
    """Each event delivered twice (the same envelope: a redelivery, NT-3)."""
    envelopes = [Envelope.wrap(e, source="/attendance", school_id="s1") for e in events]
    await publish_envelopes(prefix, [*envelopes, *envelopes])


async def settled(client: httpx.AsyncClient, expected: dict[str, tuple[dict[str, str], int]]) -> None:
    """Wait until each inbox holds its count, then long enough for a duplicate to have landed."""

    async def all_told() -> bool:
        return all([len(await inbox(client, h, path(h))) == n for h, n in expected.values()])

    await eventually(all_told)
    await asyncio.sleep(1.0)


def path(headers: dict[str, str]) -> str:
    return "/notify/v1/notifications" if headers is MUM else "/notify/v1/staff/notifications"


async def test_at_3_and_bx_4_reach_the_class_teacher_once_each(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, [*ROSTER, *STAFF]) as (_outside, notify):
        await eventually(lambda: staff_known(notify))
        missing = StudentMissingFromSession(
            student_id="xiaoming",
            school_id="s1",
            class_id="s1-g3-c1",
            class_teacher_id="t-wang",
            session_id="s:2026-11-25",
            session_date="2026-11-25",
            due_at=datetime(2026, 11, 25, 8, 10, tzinfo=UTC),
        )
        await publish_twice(notify.prefix, [absent().model_copy(update={"class_teacher_id": "t-wang"}), missing])
        await settled(notify, {"teacher": (TEACHER, 2), "mum": (MUM, 2)})
        assert sorted(await inbox(notify, TEACHER)) == [
            "小明今天在校上课，但未到课后服务，也未请假，请核实去向。",
            "小明未到课后服务签到，且未请假，请联系家长。",
        ]
        for nobody in (DUTY, OFF_DUTY, SERVICE, *OFFICE):
            assert await inbox(notify, nobody) == []


async def test_at_6_the_staff_rungs_reach_the_class_teacher_and_the_days_duty_leader_not_the_guardians(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, [*ROSTER, *STAFF]) as (_outside, notify):
        await eventually(lambda: staff_known(notify))
        ladder = [
            not_collected(1, EscalationStep.GUARDIAN_1, "mum"),
            not_collected(2, EscalationStep.GUARDIAN_2, "mum"),
            not_collected(3, EscalationStep.CLASS_TEACHER, "t-wang"),
            not_collected(4, EscalationStep.DUTY_LEADER, None),
        ]
        await publish_twice(notify.prefix, ladder)
        await settled(notify, {"mum": (MUM, 2), "teacher": (TEACHER, 2), "duty": (DUTY, 1)})
        assert sorted(await inbox(notify, MUM, "/notify/v1/notifications")) == [
            "小明仍在等待接走（第1次提醒）。",
            "小明仍在等待接走（第2次提醒）。",
        ]  # the staff rungs do not call the guardian a third and fourth time
        assert sorted(await inbox(notify, TEACHER)) == [
            "小明放学后仍未被接走（第3步），请处理。",
            "小明放学后仍未被接走（第4步），请处理。",
        ]
        assert await inbox(notify, DUTY) == ["小明放学后仍未被接走（第4步），请处理。"]
        for nobody in (OFF_DUTY, SERVICE, *OFFICE):
            assert await inbox(notify, nobody) == []  # duty-zhao and office-b are not on today's roster

        # A day nobody is on the roster: the duty-leader rung reaches the school office instead, never nobody.
        unrostered = not_collected(4, EscalationStep.DUTY_LEADER, None, day=date(2026, 11, 26), teacher=None)
        await publish_twice(notify.prefix, [unrostered])
        await settled(notify, {"a": (OFFICE[0], 1), "b": (OFFICE[1], 1)})
        assert len(await inbox(notify, DUTY)) == len(await inbox(notify, MUM, "/notify/v1/notifications")) - 1 == 1

        other_teacher = auth(Role.CLASS_TEACHER, "t-zhao", school="s1")
        assert await inbox(notify, other_teacher) == []
        assert await inbox(notify, auth(Role.CLASS_TEACHER, "t-wang", school="s2")) == []
        as_guardian = auth(Role.GUARDIAN, "t-wang", school="s1")  # the same id with a guardian's token
        assert await inbox(notify, as_guardian, "/notify/v1/notifications") == []
        assert (await notify.get("/notify/v1/staff/notifications", headers=MUM)).status_code == 403


async def test_bx_3_and_bx_2_reach_the_service_teacher_duty_leader_and_school_office(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, [*ROSTER, *STAFF]) as (_outside, notify):
        await eventually(lambda: staff_known(notify))
        given = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
        handover = {
            "handover_id": "h1", "session_id": "s:2026-11-25", "school_id": "s1", "class_id": "s1-g3-c1", "day": DAY,
            "count": 28, "given_at": given, "service_teacher_ids": ["svc-chen"],
        }  # fmt: skip
        steps = [
            HandoverUnacceptedEscalated(**handover, step=1, escalate_to=EscalateTo.SERVICE_TEACHER),
            HandoverUnacceptedEscalated(**handover, step=2, escalate_to=EscalateTo.DUTY_LEADER),
            HandoverUnacceptedEscalated(**handover, step=3, escalate_to=EscalateTo.SCHOOL_ADMIN),
        ]
        refusal = PickupRefused(
            refusal_id="r1",
            student_id="xiaoming",
            school_id="s1",
            occurred_at=datetime(2026, 11, 25, 9, 5, tzinfo=UTC),
            reason=RefusalReason.RESTRICTED,
            restricted=True,
            urgent=True,
            person_id="uncle",
            attempted_by="s1-kiosk-gate",
        )
        await publish_twice(notify.prefix, [*steps, refusal])
        await settled(
            notify,
            {"svc": (SERVICE, 1), "duty": (DUTY, 1), "a": (OFFICE[0], 2), "b": (OFFICE[1], 2), "mum": (MUM, 1)},
        )
        assert await inbox(notify, SERVICE) == ["28名学生已交接，但尚无人确认接收（第1步），请立即处理。"]
        assert await inbox(notify, DUTY) == ["28名学生已交接，但尚无人确认接收（第2步），请立即处理。"]
        for office in OFFICE:
            assert sorted(await inbox(notify, office)) == [
                "28名学生已交接，但尚无人确认接收（第3步），请立即处理。",
                "受限制人员（监护令）试图接走小明，已被拒绝，请立即核实。",
            ]
        urgent = (await notify.get("/notify/v1/staff/notifications", headers=OFFICE[0])).json()["items"]
        assert all(n["urgent"] for n in urgent)
        assert await inbox(notify, MUM, "/notify/v1/notifications") == [
            "受限制人员试图接走小明，已被拒绝，学校已知悉。"
        ]
        for nobody in (TEACHER, OFF_DUTY, auth(Role.SCHOOL_ADMIN, "s2-office", school="s2")):
            assert await inbox(notify, nobody) == []


async def test_v2_inboxes_page_alerts_of_one_instant_each_once_newest_first(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        calls = [(step, EscalationStep.CLASS_TEACHER) for step in range(1, 5)] + [(4, EscalationStep.DUTY_LEADER)]
        steps = [
            Envelope.wrap(not_collected(step, escalation, "t-wang"), source="/a", school_id="s1")
            for step, escalation in calls
        ]
        # The staff rungs no longer reach the guardian (AT-6): her five alerts are check-ins, in the same instants.
        check_ins = [Envelope.wrap(checked_in(n), source="/a", school_id="s1") for n in range(1, 6)]
        await publish_envelopes(topic_prefix, [*steps[:3], *check_ins[:3]])  # three alerts each in one instant
        await eventually(lambda: _told(notify, TEACHER, 3))
        await eventually(lambda: _told(notify, MUM, 3, "/notify/v1/notifications"))
        outside.clock.advance(timedelta(minutes=15))
        await publish_envelopes(topic_prefix, [*steps[3:], *check_ins[3:]])  # and two more, later, in one instant too
        await eventually(lambda: _told(notify, TEACHER, 5))
        await eventually(lambda: _told(notify, MUM, 5, "/notify/v1/notifications"))

        for headers, v1, v2 in (
            (TEACHER, "/notify/v1/staff/notifications", "/notify/v2/staff/notifications"),
            (MUM, "/notify/v1/notifications", "/notify/v2/notifications"),
        ):
            walked = await every_page(notify, v2, headers, limit=2)  # every page boundary cuts an instant's alerts
            keys = [(datetime.fromisoformat(n["created_at"]), n["notification_id"]) for n in walked]
            assert keys == sorted(keys, reverse=True)
            assert len(set(keys)) == 5
            listed = (await notify.get(v1, headers=headers)).json()["items"]
            assert sorted(n["notification_id"] for n in listed) == sorted(key for _, key in keys)
            refused = await notify.get(v2, params={"after": "yesterday|x"}, headers=headers)
            assert (refused.status_code, refused.headers["content-type"]) == (422, "application/problem+json")
        elsewhere = auth(Role.CLASS_TEACHER, "t-wang", school="s2")  # the same id in another school's token
        assert await every_page(notify, "/notify/v2/staff/notifications", elsewhere, limit=2) == []
        assert (await notify.get("/notify/v2/staff/notifications", headers=MUM)).status_code == 403
        assert (await notify.get("/notify/v2/notifications", headers=TEACHER)).status_code == 403


@pytest.mark.parametrize(
    ("path", "successor", "headers"),
    [
        ("/notify/v1/notifications", "/notify/v2/notifications", MUM),
        ("/notify/v1/staff/notifications", "/notify/v2/staff/notifications", TEACHER),
    ],
)
async def test_v1_inboxes_answer_as_before_and_name_their_successor_and_sunset(
    pg_url: str, topic_prefix: str, path: str, successor: str, headers: dict[str, str]
) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        response = await notify.get(path, headers=headers)
        assert (response.status_code, response.json()) == (200, {"items": [], "next_before": None})
        assert response.headers["Deprecation"] == "@1796428800"
        assert response.headers["Sunset"] == "Tue, 31 Aug 2027 15:59:59 GMT"
        assert response.headers["Link"] == f'<{successor}>; rel="successor-version"'
        spec = (await notify.get("/notify/openapi.json")).json()["paths"]
        assert (spec[path]["get"].get("deprecated"), spec[successor]["get"].get("deprecated")) == (True, None)


async def _told(client: httpx.AsyncClient, headers: dict[str, str], count: int, path: str = "") -> bool:
    return len(await inbox(client, headers, path or "/notify/v1/staff/notifications")) == count
