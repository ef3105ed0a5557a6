"""One school's afternoon for the attendance dismissal tests: 实验小学 `s1` on Wednesday 2026-11-25.

Grade 1 (class `s1-g1-c1`, teacher 李老师): 小明 (`xiaoming`, guardians mum and dad, mum's card) and 小丽
(`xiaoli`, her grandpa's card; her estranged father `dad-xiaoli` is restricted by a custody order).
Grade 3 (class `s1-g3-c1`, teacher 王老师): 小红 (`xiaohong`, may walk home alone) and 小刚 (`xiaogang`, aunt's
card). `s2` has 小东 (`xiaodong`). The policy charges 10 yuan per started 15 minutes late (BX-5).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Any

import httpx
from sqlalchemy import func, select

from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts import enrollment as en
from contracts.envelope import Event
from contracts.policy import PolicySettings
from services.attendance.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_as_producer

DAY = date(2026, 11, 25)
KIOSK = auth(Role.KIOSK, "s1-gate", school="s1")
OTHER_KIOSK = auth(Role.KIOSK, "s2-gate", school="s2")
TEACHER = auth(Role.SERVICE_TEACHER, "t-zhao", school="s1")
CLASS_TEACHER_G1 = auth(Role.CLASS_TEACHER, "t-li", school="s1")
CLASS_TEACHER_G3 = auth(Role.CLASS_TEACHER, "t-wang", school="s1")
DUTY = auth(Role.DUTY_LEADER, "duty-chen", school="s1")
ADMIN = auth(Role.SCHOOL_ADMIN, "admin-1", school="s1")
OTHER_ADMIN = auth(Role.SCHOOL_ADMIN, "admin-2", school="s2")
OTHER_DUTY = auth(Role.DUTY_LEADER, "duty-2", school="s2")
MUM = auth(Role.GUARDIAN, "mum-xiaoming", school="s1")
STRANGER_PARENT = auth(Role.GUARDIAN, "mum-xiaogang", school="s1")
POLICY = PolicySettings(late_pickup_fee_fen=1000, late_pickup_block_minutes=15, not_collected_after_minutes=15)


def local(hour: int, minute: int = 0) -> datetime:
    """A school-local moment of the day."""
    return datetime.combine(DAY, time(hour, minute), tzinfo=SCHOOL_TZ)


def school_events() -> list[Event]:
    """Enrollment's facts about s1 and s2, as attendance receives them."""
    children = [("xiaoming", 1), ("xiaoli", 1), ("xiaohong", 3), ("xiaogang", 3)]
    events: list[Event] = [
        en.StudentEnrolled(student_id=s, school_id="s1", class_id=f"s1-g{g}-c1", grade=g, name=s) for s, g in children
    ]
    events += [
        en.StudentEnrolled(student_id="xiaodong", school_id="s2", class_id="s2-g1-c1", grade=1, name="小东"),
        en.ClassCreated(class_id="s1-g1-c1", school_id="s1", grade=1, name="一(1)班"),
        en.ClassCreated(class_id="s1-g3-c1", school_id="s1", grade=3, name="三(1)班"),
        en.ClassTeacherAssigned(class_id="s1-g1-c1", school_id="s1", staff_id="t-li"),
        en.ClassTeacherAssigned(class_id="s1-g3-c1", school_id="s1", staff_id="t-wang"),
        en.RoomDefined(room_id="s1-reception", school_id="s1", name="接待室", capacity=20, is_reception=True),
        en.PolicyProfileSet(school_id="s1", effective_from=date(2026, 9, 1), version=1, settings=POLICY),
    ]
    for student, guardians in {"xiaoming": ["mum-xiaoming", "dad-xiaoming"], "xiaoli": ["grandpa-xiaoli"]}.items():
        events += [
            en.GuardianLinked(guardian_id=g, student_id=student, school_id="s1", relation="家长") for g in guardians
        ]
    events += [
        en.GuardianLinked(guardian_id="mum-xiaogang", student_id="xiaogang", school_id="s1", relation="母亲"),
        en.GuardianLinked(guardian_id="mum-xiaohong", student_id="xiaohong", school_id="s1", relation="母亲"),
    ]
    pickups = [
        ("xiaoming", "p-mum-xiaoming", "card-mum-xiaoming", "mum-xiaoming"),
        ("xiaoli", "p-grandpa-xiaoli", "card-grandpa-xiaoli", "grandpa-xiaoli"),
        ("xiaogang", "p-aunt-xiaogang", "card-aunt-xiaogang", None),
        ("xiaodong", "p-mum-xiaodong", "card-mum-xiaodong", None),
    ]
    events += [
        en.PickupPersonAdded(
            person_id=p,
            student_id=s,
            school_id="s2" if s == "xiaodong" else "s1",
            relation="亲属",
            credential_ref=c,
            guardian_id=g,
        )
        for s, p, c, g in pickups
    ]
    events += [
        en.PickupPersonRestricted(
            person_id="p-dad-xiaoli", student_id="xiaoli", school_id="s1", credential_ref="card-dad-xiaoli"
        ),
        en.WalkHomePermissionSet(
            student_id="xiaohong", school_id="s1", allowed=True, guardian_id="mum-xiaohong", effective_from=DAY
        ),
    ]
    return events


@contextlib.asynccontextmanager
async def afternoon(
    pg_url: str, prefix: str, clock: FakeClock | None = None, extra: list[Event] | None = None
) -> AsyncIterator[ServiceClient]:
    """Attendance on PostgreSQL, Kafka and Redis once it has taken in every fact of `school_events()` (and `extra`)."""
    events = school_events() + (extra or [])
    await publish_as_producer(prefix, events, school_id="s1")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, prefix), clock=clock) as client:
        await eventually(lambda: _consumed(client, len(events)))
        yield client


async def _consumed(client: ServiceClient, expected: int) -> bool:
    runtime = client.runtime
    async with runtime.db.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(runtime.tables.inbox))).scalar_one()
    return bool(count >= expected)


async def everyone_checked_in(client: ServiceClient, at: datetime) -> httpx.Response:
    """AT-8: the gate kiosk uploads the four children's card check-ins at `at` in one batch; its answer."""
    events = [
        {"student_id": s, "occurred_at": at.isoformat(), "method": "card"}
        for s in ("xiaoming", "xiaoli", "xiaohong", "xiaogang")
    ]
    return await client.post(
        "/attendance/v1/check-ins/batch", json={"device_id": "s1-gate", "events": events}, headers=KIOSK
    )


def checkout(student: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """A check-out body."""
    return {"student_id": student, "occurred_at": at.isoformat(), **extra}


async def count(client: ServiceClient, table: Any) -> int:
    """Rows in one of attendance's tables."""
    async with client.runtime.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


def more_children(per_grade: int) -> list[Event]:
    """`per_grade` more children in each of grades 1–6 of s1 (`k<grade>-<n>`), each with an adult's card."""
    events: list[Event] = []
    for grade in range(1, 7):
        for n in range(per_grade):
            student = f"k{grade}-{n:02d}"
            events += [
                en.StudentEnrolled(
                    student_id=student, school_id="s1", class_id=f"s1-g{grade}-c2", grade=grade, name=student
                ),
                en.PickupPersonAdded(
                    person_id=f"p-{student}",
                    student_id=student,
                    school_id="s1",
                    relation="亲属",
                    credential_ref=f"card-{student}",
                ),
            ]
    return events
