"""End to end: a school month on the real stack (ST-7), five `afterschool serve` processes on PostgreSQL, Kafka
and Redis, their clocks pinned to the morning of 1 December 2026, when November is over.

The school's set-up (term, policy, programs, fee plan, waiver, roster, pickup cards) is put on enrollment's topic
as enrollment published it at term start: a plan or policy never takes effect in the past (EN-7, PL-1), so the
API could not set November up on 1 December. Everything after that goes through the services' HTTP APIs: the
kiosk uploads three afternoons of check-ins and check-outs, the teachers file their activity records, the school
admin approves and publishes the teachers' statements and issues the families', and notify tells each guardian.
Every total is checked against an independent calculation written here (SR-1, EN-7, ST-1, ST-2, BX-5), never by
calling the services' own rules.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.auth import Role, mint_token
from chassis.clock import SCHOOL_TZ
from contracts import enrollment as en
from contracts.policy import PolicySettings
from tests.conftest import SECRET
from tests.e2e.processes import full_stack
from tests.services.conftest import publish_as_producer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

SCHOOL, TERM, MONTH = "s1", "s1-2026-autumn", "2026-11"
MONTH_CLOSED = datetime(2026, 12, 1, 8, 0, tzinfo=SCHOOL_TZ)  # Tuesday morning: November has ended
DAYS = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25))  # Monday to Wednesday
GATE = "s1-gate"
CLASS_HOUR = timedelta(minutes=40)  # EN-5's default length
# The numbers of the policy and plans below, which the independent calculation reads too.
BASE_RATE, SUPPLEMENT, LATE_FEE, LATE_BLOCK, GRACE = 5000, 2000, 1000, 15, 15
FEN_PER_CLASS_HOUR, DAILY_CAP, WAIVED_PERCENT = 230, 2, 50
DISMISSAL = time(17, 30)


@dataclass(frozen=True)
class Program:
    program_id: str
    kind: en.ProgramKind
    teacher: str
    weekdays: tuple[int, ...]
    starts: time
    class_hours: int
    specialty: bool


BASE = Program("p-base", en.ProgramKind.HOMEWORK_SUPERVISION, "t-wang", (0, 1, 2, 3, 4), time(15, 30), 3, False)
CHESS = Program("p-chess", en.ProgramKind.CLUB, "t-li", (2,), time(15, 30), 2, True)
CHILDREN = {"c1": ("g-c1-mum", "g-c1-dad"), "c2": ("g-c2",), "c3": ("g-c34",), "c4": ("g-c34",)}
WAIVED = "c3"  # pays half the whole month (EN-7)
# (child, day index) -> (check-in, check-out or None), school-local times; a day not listed is a day away.
AFTERNOONS: dict[tuple[str, int], tuple[time, time | None]] = {
    ("c1", 0): (time(15, 25), time(17, 40)),  # before the start; collected inside the grace: no fee
    ("c1", 1): (time(15, 50), time(17, 30)),  # 20 minutes late: half of the first class-hour still counts
    ("c2", 0): (time(15, 30), time(16, 30)),  # collected early: half of the second class-hour
    ("c2", 1): (time(15, 31), time(16, 20)),  # collected after 10 minutes of the second: one class-hour
    ("c2", 2): (time(15, 30), time(18, 10)),  # collected 25 minutes after the grace: two started blocks
    ("c3", 0): (time(15, 30), time(17, 30)),
    ("c3", 1): (time(15, 30), time(17, 30)),
    ("c3", 2): (time(15, 30), time(17, 30)),
    ("c4", 0): (time(16, 0), None),  # never checked out: present to the end of the day's programs
}
# (teacher, program, day index) -> complete record (ST-1: 1 unit) or not (0.5: no students, no effect noted)
RECORDS = {("t-wang", BASE, 0): True, ("t-wang", BASE, 1): True, ("t-wang", BASE, 2): False, ("t-li", CHESS, 2): False}


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, SCHOOL_TZ)


def set_up() -> list[Any]:
    """What enrollment published at term start, in its order."""
    policy = PolicySettings(
        stipend_fen_per_class_hour=BASE_RATE,
        specialty_supplement_fen_per_class_hour=SUPPLEMENT,
        late_pickup_fee_fen=LATE_FEE,
        late_pickup_block_minutes=LATE_BLOCK,
        not_collected_after_minutes=GRACE,
        dismissal_times=dict.fromkeys(range(1, 10), DISMISSAL),
    )
    events: list[Any] = [
        en.TermCalendarSet(term_id=TERM, school_id=SCHOOL, name="2026 秋", starts_on=date(2026, 9, 1),
                           ends_on=date(2027, 1, 20)),
        en.PolicyProfileSet(school_id=SCHOOL, effective_from=date(2026, 9, 1), version=1, settings=policy),
        en.ClassCreated(class_id="s1-g3-c1", school_id=SCHOOL, grade=3, name="三(1)班"),
    ]  # fmt: skip
    events += [
        en.ProgramScheduled(
            program_id=p.program_id, school_id=SCHOOL, term_id=TERM, kind=p.kind, name=p.program_id, capacity=40,
            teacher_ids=[p.teacher], weekdays=list(p.weekdays), starts_at=p.starts, class_hours=p.class_hours,
            min_grade=1, max_grade=6, specialty=p.specialty,
        )
        for p in (BASE, CHESS)
    ]  # fmt: skip
    events.append(
        en.FeePlanSet(
            fee_plan_id="fp-base", program_id=BASE.program_id, school_id=SCHOOL, kind=en.FeeKind.PER_CLASS_HOUR,
            fen_per_class_hour=FEN_PER_CLASS_HOUR, max_charged_class_hours_per_day=DAILY_CAP,
            effective_from=date(2026, 9, 1),
        )
    )  # fmt: skip
    applied = datetime(2026, 9, 1, 9, 0, tzinfo=SCHOOL_TZ)
    for child, guardians in CHILDREN.items():
        events += [
            en.StudentEnrolled(student_id=child, school_id=SCHOOL, class_id="s1-g3-c1", grade=3, name=child),
            en.ApplicationSubmitted(application_id=f"app-{child}", student_id=child, school_id=SCHOOL, term_id=TERM,
                                    by=guardians[0], at=applied),
            en.AgreementSigned(application_id=f"app-{child}", student_id=child, school_id=SCHOOL, term_id=TERM,
                               by=guardians[0], at=applied, active_from=date(2026, 9, 1)),
        ]  # fmt: skip
        for guardian in guardians:
            language = "en" if guardian.endswith("dad") else "zh"
            events += [
                en.GuardianLinked(guardian_id=guardian, student_id=child, school_id=SCHOOL, relation="家长",
                                  preferred_language=language),
                en.PickupPersonAdded(person_id=f"p-{guardian}-{child}", student_id=child, school_id=SCHOOL,
                                     relation="家长", credential_ref=f"card-{guardian}", guardian_id=guardian),
            ]  # fmt: skip
    events.append(
        en.FeeWaiverGranted(waiver_id="w-c3", student_id=WAIVED, school_id=SCHOOL, percent_payable=WAIVED_PERCENT,
                            valid_from=date(2026, 11, 1), valid_to=date(2026, 11, 30))
    )  # fmt: skip
    return events


# --- the independent calculation ---------------------------------------------------------------------------------


def attended_class_hours(program: Program, day: date, arrived: time, left: time | None) -> int:
    """SR-1: slots of one class-hour from the start; a slot counts when the child was there for half of it."""
    start = at(day, program.starts)
    end = start + program.class_hours * CLASS_HOUR
    present_from, present_to = max(at(day, arrived), start), at(day, left) if left else end
    counted = 0
    for n in range(program.class_hours):
        slot_from, slot_to = start + n * CLASS_HOUR, start + (n + 1) * CLASS_HOUR
        overlap = min(slot_to, present_to) - max(slot_from, present_from)
        counted += overlap >= CLASS_HOUR / 2
    return counted


def late_fee(day: date, left: time | None) -> int:
    """BX-5: each started block after dismissal and the grace costs the fee."""
    if left is None:
        return 0
    late = at(day, left) - (at(day, DISMISSAL) + timedelta(minutes=GRACE))
    return 0 if late <= timedelta(0) else -(-late // timedelta(minutes=LATE_BLOCK)) * LATE_FEE


def expected_family(child: str) -> dict[str, int]:
    """EN-7: 230 fen a class-hour, at most 2 a day, at the waiver's percentage; the month rounded once, half up."""
    gross = late = 0
    for (who, n), (arrived, left) in AFTERNOONS.items():
        if who == child:
            gross += FEN_PER_CLASS_HOUR * min(DAILY_CAP, attended_class_hours(BASE, DAYS[n], arrived, left))
            late += late_fee(DAYS[n], left)
    percent = WAIVED_PERCENT if child == WAIVED else 100
    due = (gross * percent + 50) // 100
    return {"gross_fen": gross, "waived_fen": gross - due, "late_pickup_fen": late, "due_fen": due + late}


def expected_teachers() -> dict[str, tuple[int, int]]:
    """ST-1/ST-2: a complete record 1 unit, an incomplete 0.5; units × class-hours × (base + supplement)."""
    found: dict[str, tuple[int, int]] = {}
    for (teacher, program, _), complete in RECORDS.items():
        units = 100 if complete else 50
        rate = BASE_RATE + (SUPPLEMENT if program.specialty else 0)
        fen = units * program.class_hours * rate // 100
        old_units, old_fen = found.get(teacher, (0, 0))
        found[teacher] = (old_units + units, old_fen + fen)
    return found


# --- the run -----------------------------------------------------------------------------------------------------


class Caller:
    """HTTP to the running services with development tokens."""

    def __init__(self, client: httpx.AsyncClient, bases: dict[str, str]) -> None:
        self.client, self.bases = client, bases

    async def call(
        self, method: str, service: str, path: str, role: Role, subject: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        token = mint_token(secret=SECRET, role=role, subject=subject, school_id=SCHOOL, district_id=None)
        headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
        return await self.client.request(method, f"{self.bases[service]}{path}", json=body, headers=headers)

    async def consumed(self, service: str, event_type: str, count: int, timeout: float = 60.0) -> None:
        prefix = f'afterschool_events_consumed_total{{service="{service}",type="{event_type}"}}'
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            text = (await self.client.get(f"{self.bases[service]}/metrics")).text
            seen = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))
            if seen >= count:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{service} handled {seen} of {count} {event_type}"
            await asyncio.sleep(0.1)


async def run_the_month(api: Caller, prefix: str) -> None:
    """Set-up on the bus; check-ins, check-outs and records through attendance's API, as uploaded on 1 December."""
    events = set_up()
    await publish_as_producer(prefix, events, school_id=SCHOOL)
    kinds = Counter(e.type for e in events)
    for service, kind in (
        ("attendance", "enrollment.pickup_person_added.v1"),
        ("attendance", "enrollment.program_scheduled.v1"),
        ("stipend", "enrollment.program_scheduled.v1"),
    ):
        await api.consumed(service, kind, kinds[kind])
    for service in ("stipend", "notify"):
        await api.consumed(service, "enrollment.guardian_linked.v1", kinds["enrollment.guardian_linked.v1"])
    for kind in ("enrollment.fee_waiver_granted.v1", "enrollment.fee_plan_set.v1"):
        await api.consumed("stipend", kind, 1)

    for (child, n), (arrived, left) in sorted(AFTERNOONS.items(), key=lambda item: item[0][1]):
        check_in = {"student_id": child, "occurred_at": at(DAYS[n], arrived).isoformat(), "device_id": GATE,
                    "method": "card"}  # fmt: skip
        answer = await api.call("POST", "attendance", "/attendance/v1/check-ins", Role.KIOSK, GATE, check_in)
        assert answer.status_code in (200, 201), answer.text
        if left is not None:
            guardian = CHILDREN[child][0]
            check_out = {"student_id": child, "occurred_at": at(DAYS[n], left).isoformat(), "device_id": GATE,
                         "credential_ref": f"card-{guardian}"}  # fmt: skip
            answer = await api.call("POST", "attendance", "/attendance/v1/check-outs", Role.KIOSK, GATE, check_out)
            assert answer.status_code == 201, answer.text
    for (teacher, program, n), complete in RECORDS.items():
        record = {"place": "三(1)班教室", "content": "作业辅导", "student_ids": sorted(CHILDREN) if complete else [],
                  "effect": "完成当日作业" if complete else ""}  # fmt: skip
        session = f"{program.program_id}:{DAYS[n].isoformat()}"
        path = f"/attendance/v1/sessions/{session}/activity-record"
        answer = await api.call("PUT", "attendance", path, Role.SERVICE_TEACHER, teacher, record)
        assert answer.status_code in (200, 201), answer.text

    outs = sum(left is not None for _, left in AFTERNOONS.values())
    late = sum(late_fee(DAYS[n], left) > 0 for (_, n), (_, left) in AFTERNOONS.items())
    for kind, count in (
        ("attendance.student_checked_in.v1", len(AFTERNOONS)),
        ("attendance.student_checked_out.v1", outs),
        ("attendance.late_pickup_charged.v1", late),
        ("attendance.activity_record_filed.v1", len(RECORDS)),
    ):
        await api.consumed("stipend", kind, count)


async def test_a_school_month_closes_with_every_total_as_calculated_independently(
    topic_prefix: str, tmp_path: Path
) -> None:
    # The kiosks upload the month's last week on the morning it closes, up to 8 days after the event: a district
    # that keeps its kiosks offline that long widens the AT-8 window the same way (the default is 7 days).
    wider_window = {"ATTENDANCE_MAX_DEVICE_EVENT_AGE_DAYS": "14"}
    async with (
        full_stack(topic_prefix, tmp_path, clock_start=MONTH_CLOSED, settings=wider_window) as stack,
        httpx.AsyncClient() as client,
    ):
        api = Caller(client, stack.bases)
        await run_the_month(api, topic_prefix)
        admin = (Role.SCHOOL_ADMIN, "s1-admin")

        # ST-5: the teachers' month, approved and published by the school admin
        statements = f"/stipend/v1/teacher-statements/{MONTH}"
        approved = await api.call("POST", "stipend", f"{statements}/approve", *admin)
        assert approved.status_code == 200, approved.text
        published = await api.call("POST", "stipend", f"{statements}/publish", *admin)
        assert published.status_code == 200, published.text
        body = published.json()
        assert body["status"] == "published"
        teachers = {t["staff_id"]: (t["units_hundredths"], t["total_fen"]) for t in body["teachers"]}
        assert teachers == expected_teachers()
        assert all(t["payable_fen"] == t["total_fen"] for t in body["teachers"])

        # ST-6: the families' month, issued once, each child's figures as calculated here
        issued = await api.call("POST", "stipend", f"/stipend/v1/family-statements/{MONTH}/issue", *admin)
        assert issued.status_code == 200, issued.text
        expected = {child: expected_family(child) for child in CHILDREN}
        assert (issued.json()["statements"], issued.json()["due_fen"]) == (
            len(CHILDREN),
            sum(e["due_fen"] for e in expected.values()),
        )
        for child, figures in expected.items():
            path = f"/stipend/v1/family-statements/{MONTH}/students/{child}"
            got = (await api.call("GET", "stipend", path, Role.GUARDIAN, CHILDREN[child][0])).json()
            assert {k: got[k] for k in figures} == figures, child
            assert got["issued"]["due_fen"] == figures["due_fen"]

        # NT-1: each guardian is told once per child, whatever the redeliveries
        await api.consumed("notify", "stipend.family_statement_issued.v1", len(CHILDREN))
        await asyncio.sleep(0.5)
        told: Counter[str] = Counter()
        for guardian in {g for gs in CHILDREN.values() for g in gs}:
            answer = await api.call("GET", "notify", "/notify/v1/notifications", Role.GUARDIAN, guardian)
            fees = [n for n in answer.json()["items"] if n["event_type"] == "stipend.family_statement_issued.v1"]
            told[guardian] = len(fees)
        assert told == Counter(g for gs in CHILDREN.values() for g in gs)
