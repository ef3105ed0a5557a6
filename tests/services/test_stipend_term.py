"""The term on the real stack: the guardians' survey (one answer per family, anonymous), the 100-point evaluation
(QA-2) and the 9 : 1 settlement (ST-4) from the published November, checked against an independent calculation."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance.staff import FindingKind, PatrolFindingRecorded
from contracts.enrollment import GuardianLinked, SchoolRegistered, StudentEnrolled, TermCalendarSet
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_envelopes, read_topic
from tests.services.test_stipend_statements import (
    ADMIN,
    BASE,
    CHESS,
    CLOSED,
    LI_UNITS,
    NOVEMBER,
    SET_UP,
    WANG,
    WANG_FEN,
    WANG_UNITS,
    _session,
    envelope,
    settled,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

TERM = "s1-2026-autumn"
MUM = auth(Role.GUARDIAN, "mum", school="s1")
AUTUMN = TermCalendarSet(
    term_id=TERM, school_id="s1", name="2026 秋", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
)
SCHOOLS = [
    SchoolRegistered(school_id="s1", district_id="d1", name="实验小学"),
    SchoolRegistered(school_id="s9", district_id="d2", name="另一区小学"),
]
FAMILY = [
    StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="3-1", grade=3, name="小明"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
]
PATROL = PatrolFindingRecorded(
    **_session("wang", CHESS, 25),
    patrol_id="patrol-1",
    duty_leader_id="t-duty",
    teacher_present=True,
    activity_running=True,
    rules_followed=False,
    findings=[FindingKind.RULE_BROKEN, FindingKind.BAD_INFLUENCE],
    deduction=4,
    recorded_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
)


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(CLOSED)) as client:
        await publish_envelopes(
            topic_prefix, [envelope(e) for e in [*SCHOOLS, AUTUMN, *SET_UP, *FAMILY, *NOVEMBER, PATROL]]
        )
        await settled(client, {"li": (LI_UNITS, 0, 0), "wang": (WANG_UNITS, WANG_FEN, WANG_FEN)})

        async def patrolled() -> bool:
            response = await client.get(f"/stipend/v1/evaluations/{TERM}", headers=ADMIN)
            return response.status_code == 200 and any(e["patrol"] == 46 for e in response.json())

        await eventually(patrolled)
        yield client


async def test_a_family_answers_once_and_the_report_is_anonymous(stipend: ServiceClient) -> None:
    url = f"/stipend/v1/surveys/{TERM}/programs/{CHESS}/answers"
    first = await stipend.post(url, json={"student_id": "xiaoming", "score": 5}, headers=MUM)
    assert first.json() == {"program_id": CHESS, "answers": 1}
    again = await stipend.post(url, json={"student_id": "xiaoming", "score": 1}, headers=MUM)
    assert (again.status_code, again.json()["rule"]) == (409, "QA-2")
    out_of_range = await stipend.post(
        f"/stipend/v1/surveys/{TERM}/programs/{BASE}/answers", json={"student_id": "xiaoming", "score": 6}, headers=MUM
    )
    assert (out_of_range.status_code, out_of_range.json()["rule"]) == (422, "QA-2")
    not_mine = await stipend.post(
        url, json={"student_id": "xiaoming", "score": 5}, headers=auth(Role.GUARDIAN, "x", school="s1")
    )
    assert not_mine.status_code == 404
    (chess,) = [
        e
        for e in (await stipend.get(f"/stipend/v1/evaluations/{TERM}", headers=WANG)).json()
        if e["program_id"] == CHESS
    ]
    assert chess["survey"] == 10
    assert "xiaoming" not in str(chess)


async def test_qa_2_siblings_share_one_answer_per_program_and_their_family_alone(stipend: ServiceClient) -> None:
    """QA-2/SR-3: a family is the children sharing a guardian; the second sibling's answer about the same program
    is refused (problem+json naming QA-2) and changes nothing; another program, or another family, still answers."""
    brother = [
        StudentEnrolled(student_id="xiaogang", school_id="s1", class_id="5-1", grade=5, name="小刚"),
        GuardianLinked(guardian_id="dad", student_id="xiaogang", school_id="s1", relation="父亲"),
        GuardianLinked(guardian_id="mum", student_id="xiaogang", school_id="s1", relation="母亲"),
        StudentEnrolled(student_id="xiaohua", school_id="s1", class_id="3-1", grade=3, name="小华"),
        GuardianLinked(guardian_id="hua-mum", student_id="xiaohua", school_id="s1", relation="母亲"),
    ]
    await publish_envelopes(stipend.prefix, [envelope(e) for e in brother])
    dad, hua_mum = auth(Role.GUARDIAN, "dad", school="s1"), auth(Role.GUARDIAN, "hua-mum", school="s1")

    async def linked() -> bool:
        urls = ("/stipend/v1/family-accounts/students/xiaogang", "/stipend/v1/family-accounts/students/xiaohua")
        answers = [await stipend.get(u, headers=h) for u, h in zip(urls, (dad, hua_mum), strict=True)]
        return all(a.status_code == 200 for a in answers)

    await eventually(linked)
    chess = f"/stipend/v1/surveys/{TERM}/programs/{CHESS}/answers"
    first = await stipend.post(chess, json={"student_id": "xiaoming", "score": 5}, headers=MUM)
    assert first.json() == {"program_id": CHESS, "answers": 1}
    sibling = await stipend.post(chess, json={"student_id": "xiaogang", "score": 1}, headers=dad)
    assert sibling.status_code == 409
    assert sibling.headers["content-type"] == "application/problem+json"
    assert sibling.json()["rule"] == "QA-2"
    other_program = await stipend.post(
        f"/stipend/v1/surveys/{TERM}/programs/{BASE}/answers", json={"student_id": "xiaogang", "score": 1}, headers=dad
    )
    assert other_program.json() == {"program_id": BASE, "answers": 1}
    other_family = await stipend.post(chess, json={"student_id": "xiaohua", "score": 3}, headers=hua_mum)
    assert other_family.json() == {"program_id": CHESS, "answers": 2}
    (evaluated,) = [
        e
        for e in (await stipend.get(f"/stipend/v1/evaluations/{TERM}", headers=ADMIN)).json()
        if e["program_id"] == CHESS
    ]
    assert evaluated["survey"] == 8  # (5 + 3) / 2 of 5 → 8 of 10: the refused 1 counted nowhere


async def test_the_term_is_evaluated_out_of_100_and_settled_9_to_1(stipend: ServiceClient) -> None:
    for program_id, plan, effect in ((CHESS, 18, 17), (BASE, 20, 20)):
        body = {"plan_completion": plan, "effectiveness": effect, "note": "按计划完成"}
        response = await stipend.put(f"/stipend/v1/evaluations/{TERM}/programs/{program_id}", json=body, headers=ADMIN)
        assert response.status_code == 200, response.text
    await stipend.post(
        f"/stipend/v1/surveys/{TERM}/programs/{CHESS}/answers", json={"student_id": "xiaoming", "score": 4}, headers=MUM
    )
    bad = await stipend.put(
        f"/stipend/v1/evaluations/{TERM}/programs/{BASE}",
        json={"plan_completion": 21, "effectiveness": 0, "note": "x"},
        headers=ADMIN,
    )
    assert (bad.status_code, bad.json()["rule"]) == (422, "QA-2")

    totals = {
        e["program_id"]: e["total"]
        for e in (await stipend.get(f"/stipend/v1/evaluations/{TERM}", headers=ADMIN)).json()
    }
    chess_total, base_total = (50 - 4) + 18 + 17 + 8, 50 + 20 + 20 + 0  # survey: mean 4 of 5 = 8 of 10
    assert (totals[CHESS], totals[BASE]) == (chess_total, base_total)
    october = await stipend.get(f"/stipend/v1/evaluations/{TERM}", params={"through": "2026-10"}, headers=WANG)
    assert {e["program_id"]: e["patrol"] for e in october.json()}[CHESS] == 50  # QA-3: November's patrol not yet

    too_soon = await stipend.post(f"/stipend/v1/settlements/{TERM}/publish", headers=ADMIN)
    assert (too_soon.status_code, too_soon.json()["rule"]) == (409, "ST-4")  # November is not published yet
    for step in ("approve", "publish"):
        assert (await stipend.post(f"/stipend/v1/teacher-statements/2026-11/{step}", headers=ADMIN)).status_code == 200
    settlement = (await stipend.get(f"/stipend/v1/settlements/{TERM}", headers=ADMIN)).json()
    pool = (2 * WANG_FEN + 9) // 18  # WANG_FEN ÷ 9, half up: li's month paid nothing
    shares = {t["staff_id"]: (t["process_fen"], t["bonus_fen"], t["forfeited"]) for t in settlement["teachers"]}
    assert shares == {"li": (0, 0, True), "wang": (WANG_FEN, pool, False)}
    assert settlement["bonus_pool_fen"] == pool

    published = await stipend.post(f"/stipend/v1/settlements/{TERM}/publish", headers=ADMIN)
    assert published.status_code == 200, published.text
    assert {k: v for k, v in published.json().items() if k != "status"} == {
        k: v for k, v in settlement.items() if k != "status"
    }
    again = await stipend.post(f"/stipend/v1/settlements/{TERM}/publish", headers=ADMIN)
    assert (again.status_code, again.json()["rule"]) == (409, "ST-4")
    events = await read_topic(stipend.prefix, "stipend.events", count=4)
    settled_events = {e.data["staff_id"]: e.data for e in events if e.type == "stipend.term_settlement_published.v1"}
    assert (settled_events["wang"]["bonus_fen"], settled_events["wang"]["bonus_pool_fen"]) == (pool, pool)
    assert settled_events["li"]["forfeited"] is True


async def test_a_term_is_settled_only_after_it_ends_and_only_by_its_school(pg_url: str, topic_prefix: str) -> None:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))) as client:
        await publish_envelopes(topic_prefix, [envelope(AUTUMN)])

        async def known() -> bool:
            return (await client.get(f"/stipend/v1/evaluations/{TERM}", headers=ADMIN)).status_code == 200

        await eventually(known)
        early = await client.get(f"/stipend/v1/settlements/{TERM}", headers=ADMIN)
        assert (early.status_code, early.json()["rule"]) == (422, "ST-4")
        other = await client.get(f"/stipend/v1/settlements/{TERM}", headers=auth(Role.SCHOOL_ADMIN, "a", school="s2"))
        assert other.status_code == 404


async def test_finance_exports_carry_the_same_figures_as_csv_and_xlsx(stipend: ServiceClient) -> None:
    """BX-8: per school; a guardian may not export; another school's admin exports only their own (nothing)."""
    response = await stipend.get("/stipend/v1/exports/teacher-statements/2026-11", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {(r["staff_id"], int(r["units_hundredths"]), int(r["payable_fen"])) for r in rows} == {
        ("li", LI_UNITS, 0),
        ("wang", WANG_UNITS, WANG_FEN),
    }
    xlsx = await stipend.get(f"/stipend/v1/exports/evaluations/{TERM}", params={"format": "xlsx"}, headers=ADMIN)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:3] == ("school_id", "term_id", "program_id")
    assert {row[2] for row in table[1:]} == {BASE, CHESS, "p-noon"}
    assert (await stipend.get("/stipend/v1/exports/teacher-statements/2026-11", headers=MUM)).status_code == 403
    other = await stipend.get(
        "/stipend/v1/exports/teacher-statements/2026-11", headers=auth(Role.SCHOOL_ADMIN, "a", school="s2")
    )
    assert other.content.decode("utf-8-sig").strip().count("\n") == 0  # the header only


async def test_a_district_operator_rolls_up_only_their_districts_schools(stipend: ServiceClient) -> None:
    """BX-8: one row per school of the district; a school admin may not; another district sees none of it."""
    operator = auth(Role.DISTRICT_OPERATOR, "教育局", district="d1")
    response = await stipend.get("/stipend/v1/district/months/2026-11", headers=operator)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["school_id"], r["teachers"], int(r["teacher_payable_fen"])) for r in rows] == [("s1", "2", WANG_FEN)]
    other_district = auth(Role.DISTRICT_OPERATOR, "x", district="d2")

    async def registered() -> bool:  # s9's registration travels on its own key: wait until it is applied
        other = await stipend.get("/stipend/v1/district/months/2026-11", headers=other_district)
        return [r["school_id"] for r in csv.DictReader(io.StringIO(other.content.decode("utf-8-sig")))] == ["s9"]

    await eventually(registered)
    assert (await stipend.get("/stipend/v1/district/months/2026-11", headers=ADMIN)).status_code == 403
