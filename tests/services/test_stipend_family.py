"""Family fee statements on the real stack (EN-7, ST-6, BX-5): per class-hour with the daily cap, a waiver, a
late-pickup fee; a guardian sees only their own family, another school's child is a 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance.dismissal import LatePickupCharged
from contracts.enrollment import (
    FeeKind,
    FeePlanSet,
    FeeWaiverGranted,
    FeeWaiverRevoked,
    ProgramCancelled,
    TermCalendarSet,
)
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_envelopes, read_topic
from tests.services.test_stipend_class_hours import ADMIN, BASE, MUM, ROSTER, arrived, collected
from tests.services.test_stipend_statements import CLOSED, MOMENT, envelope

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

FEN_PER_CLASS_HOUR, DAILY_CAP, LATE_FEE = 230, 2, 1000  # EN-7: 2.3 yuan, at most 2 class-hours a day; BX-5
FEES = [
    FeePlanSet(
        fee_plan_id="fp-1",
        program_id=BASE,
        school_id="s1",
        kind=FeeKind.PER_CLASS_HOUR,
        fen_per_class_hour=FEN_PER_CLASS_HOUR,
        max_charged_class_hours_per_day=DAILY_CAP,
        effective_from=date(2026, 9, 1),
    ),
    FeeWaiverGranted(
        waiver_id="w-1",
        student_id="xiaoming",
        school_id="s1",
        percent_payable=50,
        valid_from=date(2026, 11, 24),
        valid_to=date(2026, 11, 24),
    ),
]


def late_pickup(check_out_id: str, day: int, minutes_late: int) -> LatePickupCharged:
    """BX-5: 小明 collected `minutes_late` minutes late on 2026-11-`day`, one block of the late fee."""
    return LatePickupCharged(
        check_out_id=check_out_id,
        student_id="xiaoming",
        school_id="s1",
        day=date(2026, 11, day),
        minutes_late=minutes_late,
        blocks=1,
        fee_fen=LATE_FEE,
    )


ATTENDANCE = [
    arrived(1, "xiaoming", 23),
    arrived(2, "xiaoming", 24),
    collected(3, "xiaoming", 24, 18, 20),
    late_pickup("o3", 24, 20),
    arrived(4, "xiaoming", 25, 17, 30),  # came for the last 10 minutes of the last class-hour: nothing counts (SR-1)
]


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(MOMENT)


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str, clock: FakeClock) -> AsyncIterator[ServiceClient]:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=clock) as client:
        yield client


async def statement(client: ServiceClient, headers: dict[str, str] = MUM) -> httpx.Response:
    return await client.get("/stipend/v1/family-statements/2026-11/students/xiaoming", headers=headers)


async def test_a_month_is_charged_per_class_hour_with_the_daily_cap_waiver_and_late_pickup(
    stipend: ServiceClient,
) -> None:
    envelopes = [envelope(e) for e in [*ROSTER, *FEES, *ATTENDANCE]]
    await publish_envelopes(stipend.prefix, envelopes + envelopes[-3:])

    async def complete() -> bool:
        body = (await statement(stipend)).json()
        programs = body.get("programs") or [{}]
        # enrollment's fee facts and attendance's travel on different topics: wait for both to be applied
        return bool(body.get("late_pickup")) and programs[0].get("waived_fen", 0) > 0

    await eventually(complete)
    body: dict[str, Any] = (await statement(stipend)).json()
    # An independent calculation: 3 class-hours a day, charged 2 (the cap), 230 fen each; Tuesday at 50 %.
    monday = tuesday = FEN_PER_CLASS_HOUR * min(3, DAILY_CAP)
    gross, waived = monday + tuesday, tuesday // 2
    (base,) = body["programs"]
    assert (base["program_id"], base["class_hours"], base["charged_class_hours"]) == (BASE, 6, 4)
    assert (base["gross_fen"], base["waived_fen"], base["due_fen"]) == (gross, waived, gross - waived)
    assert body["late_pickup"][0]["fee_fen"] == LATE_FEE
    assert (body["gross_fen"], body["late_pickup_fen"], body["due_fen"]) == (gross, LATE_FEE, gross - waived + LATE_FEE)
    assert all(isinstance(body[k], int) for k in ("gross_fen", "waived_fen", "late_pickup_fen", "due_fen"))
    admin_view = (await statement(stipend, ADMIN)).json()
    assert admin_view == body


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (auth(Role.GUARDIAN, "another-mum", school="s1"), 404),
        (auth(Role.SCHOOL_ADMIN, "admin", school="s2"), 404),
        (auth(Role.SERVICE_TEACHER, "wang", school="s1"), 403),
        ({}, 401),
    ],
    ids=["another-family", "another-school", "teacher", "no-token"],
)
async def test_a_family_statement_is_for_the_school_and_the_childs_guardians_only(
    stipend: ServiceClient, headers: dict[str, str], status: int
) -> None:
    await publish_envelopes(stipend.prefix, [envelope(e) for e in [*ROSTER, *FEES, ATTENDANCE[0]]])

    async def there() -> bool:
        return (await statement(stipend)).status_code == 200

    await eventually(there)
    response = await statement(stipend, headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_closed_month_is_issued_once_and_keeps_its_figures_when_a_fact_arrives_later(
    stipend: ServiceClient, clock: FakeClock
) -> None:
    """ST-6/NT-1: one event per child; an unclosed month or a second issue is a problem and changes nothing."""
    envelopes = [envelope(e) for e in [*ROSTER, *FEES, *ATTENDANCE[:4]]]
    await publish_envelopes(stipend.prefix, envelopes)
    expected_due = 2 * FEN_PER_CLASS_HOUR * DAILY_CAP - FEN_PER_CLASS_HOUR + LATE_FEE

    async def complete() -> bool:
        return bool((await statement(stipend)).json().get("due_fen") == expected_due)

    await eventually(complete)
    early = await stipend.post("/stipend/v1/family-statements/2026-11/issue", headers=ADMIN)
    assert (early.status_code, early.json()["rule"]) == (422, "ST-5")
    assert (await statement(stipend)).json()["issued"] is None

    clock.advance(CLOSED - MOMENT)
    issued = await stipend.post("/stipend/v1/family-statements/2026-11/issue", headers=ADMIN)
    assert issued.status_code == 200, issued.text
    assert (issued.json()["statements"], issued.json()["due_fen"]) == (1, expected_due)
    again = await stipend.post("/stipend/v1/family-statements/2026-11/issue", headers=ADMIN)
    assert (again.status_code, again.json()["rule"]) == (409, "ST-6")
    (event,) = await read_topic(stipend.prefix, "stipend.events", count=1)
    assert event.type == "stipend.family_statement_issued.v1"
    assert (event.data["student_id"], event.data["due_fen"]) == ("xiaoming", expected_due)

    later = late_pickup("o9", 27, 5)
    await publish_envelopes(stipend.prefix, [envelope(later)])

    async def arrived() -> bool:
        return bool((await statement(stipend)).json()["due_fen"] == expected_due + LATE_FEE)

    await eventually(arrived)
    assert (await statement(stipend)).json()["issued"]["due_fen"] == expected_due

    # ST-5/ST-6: November is never edited; December's statement carries the late fee as an adjustment.
    clock.advance(datetime(2027, 1, 4, 7, 0, tzinfo=UTC) - CLOSED)  # Monday 4 January 2027: December is closed
    december = await stipend.post("/stipend/v1/family-statements/2026-12/issue", headers=ADMIN)
    assert december.json() == {"school_id": "s1", "month": "2026-12", "statements": 1, "due_fen": 0}
    events = await read_topic(stipend.prefix, "stipend.events", count=2)
    (carried,) = [e.data for e in events if e.data["month"] == "2026-12"]
    assert (carried["due_fen"], carried["adjustments_fen"], carried["total_fen"]) == (0, LATE_FEE, LATE_FEE)
    assert (await statement(stipend)).json()["issued"]["due_fen"] == expected_due
    account = (await stipend.get("/stipend/v1/family-accounts/students/xiaoming", headers=MUM)).json()
    assert [line["amount_fen"] for line in account["lines"]] == [expected_due, LATE_FEE]


async def test_monthly_prepayment_is_settled_at_term_end_by_attendance(pg_url: str, topic_prefix: str) -> None:
    """EN-7 多退少补: 160 yuan a month prepaid for Sep–Nov; two days attended in November; the rest is refunded."""
    monthly = FeePlanSet(
        fee_plan_id="fp-m",
        program_id=BASE,
        school_id="s1",
        kind=FeeKind.MONTHLY,
        fen_per_month=16000,
        effective_from=date(2026, 9, 1),
    )
    autumn = TermCalendarSet(
        term_id="s1-2026-autumn", school_id="s1", name="2026 秋", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
    )
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(CLOSED)) as client:
        events = [autumn, *ROSTER, monthly, ATTENDANCE[0], ATTENDANCE[1]]
        await publish_envelopes(topic_prefix, [envelope(e) for e in events])
        url = "/stipend/v1/family-settlements/s1-2026-autumn/students/xiaoming"

        november_days = sum(1 for d in range(1, 31) if date(2026, 11, d).weekday() < 5)
        due = (2 * 16000 * 2 + november_days) // (2 * november_days)  # 16000 × 2 ÷ service days, half up

        async def settled() -> bool:
            # Both attended days consumed (a wait on "anything due" once read the figure after only the first).
            response = await client.get(url, headers=MUM)
            return response.status_code == 200 and [p["due_fen"] for p in response.json()["programs"]] == [due]

        await eventually(settled)
        body = (await client.get(url, headers=MUM)).json()
    assert body["programs"] == [
        {"program_id": BASE, "prepaid_fen": 3 * 16000, "due_fen": due, "refund_fen": 3 * 16000 - due, "collect_fen": 0}
    ]
    assert (body["refund_fen"], body["collect_fen"]) == (3 * 16000 - due, 0)


async def test_a_revoked_waiver_ends_on_its_day_and_a_cancelled_program_charges_nothing_from_its_day(
    stipend: ServiceClient,
) -> None:
    """EN-7: a waiver revoked from Tuesday covers Monday only; a program cancelled from Wednesday has no session that
    day, so a child who came charges nothing for it (EN-4)."""
    waiver = {"waiver_id": "w-2", "student_id": "xiaoming", "school_id": "s1"}
    changes = [
        FEES[0],
        FeeWaiverGranted(**waiver, percent_payable=50, valid_from=date(2026, 11, 23), valid_to=date(2026, 11, 25)),
        FeeWaiverRevoked(**waiver, effective_on=date(2026, 11, 24)),
        ProgramCancelled(program_id=BASE, school_id="s1", effective_on=date(2026, 11, 25)),
    ]
    came = [arrived(1, "xiaoming", 23), arrived(2, "xiaoming", 24), arrived(3, "xiaoming", 25)]
    await publish_envelopes(stipend.prefix, [envelope(e) for e in [*ROSTER, *changes, *came]])
    # An independent calculation: Monday and Tuesday, 3 class-hours each, charged 2 (the cap); Monday at 50 %.
    day = FEN_PER_CLASS_HOUR * DAILY_CAP
    expected = (BASE, 6, 4, 2 * day, day // 2, 2 * day - day // 2)

    async def settled() -> bool:
        programs = (await statement(stipend)).json().get("programs") or [{}]
        found = tuple(programs[0].get(k) for k in ("program_id", "class_hours", "charged_class_hours"))
        money = tuple(programs[0].get(k) for k in ("gross_fen", "waived_fen", "due_fen"))
        return (*found, *money) == expected

    await eventually(settled)
