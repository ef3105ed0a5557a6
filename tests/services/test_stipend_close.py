"""Closing a school's month on the real stack with more children than a statement query lists in SQL (ST-6, SR-1,
EN-7, BX-5; issue 9): every figure issued is pinned, and each child's equals their own statement, which is read
through the other path (one child, picked in SQL)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import TermCalendarSet
from contracts.policy import PolicySettings
from services.stipend import store
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

SCHOOL, MONTH, TERM = "s1", "2026-09", "s1-2026-autumn"
DAYS = [date(2026, 9, d) for d in (7, 8, 9, 10, 11, 14, 15)]  # seven school days, a Monday to a Tuesday
CHILDREN = 150  # more than `facts.store._LISTED_IN_SQL`: the close picks them from the school's month
ADMIN = auth(Role.SCHOOL_ADMIN, "admin", school=SCHOOL)
CLOSED = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


def _reference() -> dict[Any, list[dict[str, Any]]]:
    """Six grade programs (40-min class-hours from 15:30, 2 or 3 of them), per-class-hour plans with a daily cap
    for grades 1-5 and a monthly plan for grade 6, a club for grade 3, waivers for every seventh child."""
    calendar = TermCalendarSet(
        term_id=TERM, school_id=SCHOOL, name="2026 秋", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 20)
    )
    rows: dict[Any, list[dict[str, Any]]] = {
        store.RefPolicy: [
            {"school_id": SCHOOL, "effective_from": date(2026, 9, 1), "version": 1,
             "settings": PolicySettings(stipend_fen_per_class_hour=5000).model_dump(mode="json")}
        ],
        store.RefTerm: [{"term_id": TERM, "school_id": SCHOOL, "calendar": calendar.model_dump(mode="json")}],
        store.RefProgram: [], store.RefFeePlan: [], store.RefStudent: [], store.RefWaiver: [],
    }  # fmt: skip
    for grade in range(1, 7):
        program = f"base-g{grade}"
        rows[store.RefProgram].append(
            {"program_id": program, "school_id": SCHOOL, "term_id": TERM, "kind": "homework_supervision",
             "weekdays": [0, 1, 2, 3, 4], "starts_at": time(15, 30), "class_hours": 2 + grade % 2,
             "min_grade": grade, "max_grade": grade, "specialty": False, "cancelled_on": None}
        )  # fmt: skip
        monthly = grade == 6
        rows[store.RefFeePlan].append(
            {"fee_plan_id": f"fp-{program}", "program_id": program, "school_id": SCHOOL,
             "kind": "monthly" if monthly else "per_class_hour", "fen_per_class_hour": 0 if monthly else 230 + grade,
             "max_per_day": None if monthly else 2, "fen_per_month": 16_000 if monthly else 0,
             "effective_from": date(2026, 9, 1)}
        )  # fmt: skip
    for n in range(CHILDREN):
        rows[store.RefStudent].append({"student_id": f"c{n}", "school_id": SCHOOL, "grade": n % 6 + 1})
        if n % 7 == 0:
            rows[store.RefWaiver].append(
                {"waiver_id": f"w{n}", "student_id": f"c{n}", "school_id": SCHOOL, "program_id": None,
                 "percent_payable": n % 100, "valid_from": DAYS[n % 3], "valid_to": DAYS[4 + n % 3],
                 "revoked_on": None}
            )  # fmt: skip
    return rows


def _facts() -> dict[Any, list[dict[str, Any]]]:
    """Arrivals from 15:10 to 16:49 and departures from 15:45 to 18:14 (some to the second), a few children
    away, on leave, never collected, checked in or out twice, or charged a late pickup."""
    rows: dict[Any, list[dict[str, Any]]] = {store.CheckIn: [], store.CheckOut: [], store.Leave: [],
                                             store.LatePickupFee: []}  # fmt: skip
    for n in range(CHILDREN):
        child = f"c{n}"
        for d, day in enumerate(DAYS):
            if (n + d) % 11 == 0:
                if n % 2:
                    rows[store.Leave].append({"leave_id": f"l-{child}-{d}", "student_id": child, "school_id": SCHOOL,
                                              "day": day, "month": MONTH, "event_id": f"ev-l-{child}-{d}"})  # fmt: skip
                continue
            start = datetime.combine(day, time(15, 10), SCHOOL_TZ)
            arrived = start + timedelta(minutes=(n * 7 + d * 13) % 100, seconds=(n * d) % 3 * 30)
            left = arrived + timedelta(minutes=35 + (n * 17 + d * 29) % 140)
            ins = [arrived] + ([arrived + timedelta(minutes=50)] if (n + d) % 9 == 0 else [])
            outs = [] if (n + d) % 13 == 0 else [left] + ([left - timedelta(minutes=30)] if n % 5 == 0 else [])
            for i, at in enumerate(ins):
                rows[store.CheckIn].append({"check_in_id": f"i-{child}-{d}-{i}"} | _mark(child, day, at, f"i-{d}-{i}"))
            for i, at in enumerate(outs):
                row = _mark(child, day, at, f"o-{d}-{i}")
                rows[store.CheckOut].append({"check_out_id": f"o-{child}-{d}-{i}"} | row)
            if outs and (n + d) % 8 == 0:
                rows[store.LatePickupFee].append({"check_out_id": f"o-{child}-{d}-0", "student_id": child,
                                                  "school_id": SCHOOL, "day": day, "month": MONTH, "minutes_late": 20,
                                                  "fee_fen": 1000, "event_id": f"ev-f-{child}-{d}"})  # fmt: skip
    return rows


def _mark(child: str, day: date, at: datetime, key: str) -> dict[str, Any]:
    return {"student_id": child, "school_id": SCHOOL, "day": day, "month": MONTH, "occurred_at": at.astimezone(UTC),
            "event_id": f"ev-{child}-{key}"}  # fmt: skip


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(CLOSED)) as client:
        async with client.app.state.runtime.db.sessions() as session:
            for table, rows in (_reference() | _facts()).items():
                if rows:
                    await session.execute(insert(table), rows)
            await session.commit()
        yield client


async def test_a_school_month_is_issued_with_the_very_figures_of_each_childs_own_statement(
    stipend: ServiceClient,
) -> None:
    """ST-6/ST-7: pinned totals (computed before the close was rewritten for speed, issue 9) and a digest of
    every child's figures; any changed amount, class-hour count or child fails here."""
    answer = await stipend.post(f"/stipend/v1/family-statements/{MONTH}/issue", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    async with stipend.app.state.runtime.db.sessions() as session:
        issued = (
            await session.scalars(
                select(store.IssuedFamilyStatement)
                .where(store.IssuedFamilyStatement.school_id == SCHOOL)
                .order_by(store.IssuedFamilyStatement.student_id)
            )
        ).all()
    figures = {r.student_id: (r.gross_fen, r.waived_fen, r.late_pickup_fen, r.due_fen) for r in issued}
    for student_id in sorted(figures)[::7]:  # every seventh child through the one-child path (SQL IN)
        own = (await stipend.get(f"/stipend/v1/family-statements/{MONTH}/students/{student_id}", headers=ADMIN)).json()
        assert figures[student_id] == (own["gross_fen"], own["waived_fen"], own["late_pickup_fen"], own["due_fen"])
    totals = tuple(sum(f[i] for f in figures.values()) for i in range(4))
    digest = hashlib.sha256(repr(sorted(figures.items())).encode()).hexdigest()[:16]
    assert (len(figures), totals, digest) == (CHILDREN, (364_502, 18_820, 116_000, 461_682), "7016c4995d0f49a9")
    assert answer.json()["due_fen"] == 461_682
