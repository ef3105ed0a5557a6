# ruff: noqa: F811  (the tests take the imported `homework_app` fixture as a parameter)
"""Homework in the supervised session on the real stack: completion of present children and grading (HW-7),
what a guardian sees, burden monitoring (HW-9), and that another school or family gets nothing from any route."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from chassis.auth import Role
from contracts.attendance import CheckInMethod, StudentCheckedIn
from services.homework.sessions.handlers import OVER_CAP_FIGURE
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer, read_topic, school_figure
from tests.services.test_homework_assignments import (  # noqa: F401  (homework_app is the shared fixture)
    ADMIN,
    CLASS,
    CLASS_TEACHER,
    NEXT_MONDAY,
    OTHER_SCHOOL,
    SCHOOL,
    WEDNESDAY,
    as_teacher,
    assign,
    homework,
    homework_app,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

SERVICE_TEACHER = auth(Role.SERVICE_TEACHER, "zhao", school=SCHOOL)
MUM = auth(Role.GUARDIAN, "mum", school=SCHOOL)


def checked_in(student: str, on: date = WEDNESDAY) -> StudentCheckedIn:
    return StudentCheckedIn(
        check_in_id=f"{student}-{on}",
        student_id=student,
        school_id=SCHOOL,
        device_id="gate",
        method=CheckInMethod.FACE,
        occurred_at=datetime(on.year, on.month, on.day, 8, 30, tzinfo=UTC),
        session_date=on.isoformat(),
    )


async def record(client: ServiceClient, assignment_id: str, *results: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"/homework/v1/assignments/{assignment_id}/completions",
        json={"results": list(results)},
        headers=SERVICE_TEACHER,
    )


async def present(client: ServiceClient, assignment_id: str, student: str, done: bool, minutes: int) -> None:
    """Record a result once attendance's check-in has reached homework (retrying the refused attempt is harmless)."""

    async def recorded() -> bool:
        response = await record(client, assignment_id, {"student_id": student, "done": done, "actual_minutes": minutes})
        return response.status_code == 200

    await eventually(recorded, timeout=60)


async def test_hw7_present_children_are_recorded_and_a_teacher_grades_with_feedback(
    homework_app: ServiceClient,
) -> None:
    prefix = homework_app.prefix
    chinese = (await assign(homework_app, "wang", homework("语文", 20, on=WEDNESDAY))).json()["assignment_id"]
    await publish_as_producer(prefix, [checked_in("xiaoming")], school_id=SCHOOL)
    await present(homework_app, chinese, "xiaoming", True, 25)

    absent = await record(homework_app, chinese, {"student_id": "xiaohong", "done": True, "actual_minutes": 10})
    assert (absent.status_code, absent.json()["rule"]) == (422, "HW-7")

    url = f"/homework/v1/assignments/{chinese}/completions/xiaoming/grade"
    body = {"grade": "优", "feedback": "字迹工整，第3题再检查一下"}
    own = await homework_app.post(url, json=body, headers=auth(Role.SUBJECT_TEACHER, "xiaoming", school=SCHOOL))
    assert (own.status_code, own.json()["rule"]) == (422, "HW-7")  # a student never grades their own
    parent = await homework_app.post(url, json=body, headers=MUM)
    assert (parent.status_code, parent.json()["rule"]) == (403, "HW-6")  # nor does a parent
    assert (await homework_app.post(url, json=body, headers=as_teacher("zhang"))).status_code == 403
    graded = await homework_app.post(url, json=body, headers=as_teacher("wang"))
    assert graded.status_code == 200, graded.text
    assert (graded.json()["grade"], graded.json()["graded_by"], graded.json()["actual_minutes"]) == ("优", "wang", 25)

    seen = (await homework_app.get("/homework/v1/students/xiaoming/homework", headers=MUM)).json()
    assert [(h["status"], h["actual_minutes"], h["grade"], h["feedback"]) for h in seen["items"]] == [
        ("done", 25, "优", "字迹工整，第3题再检查一下")
    ]
    hong = (
        await homework_app.get(
            "/homework/v1/students/xiaohong/homework", headers=auth(Role.GUARDIAN, "hong-mum", school=SCHOOL)
        )
    ).json()
    assert [(h["status"], h["grade"]) for h in hong["items"]] == [("not_recorded", None)]
    another_family = await homework_app.get(
        "/homework/v1/students/xiaoming/homework", headers=auth(Role.GUARDIAN, "hong-mum", school=SCHOOL)
    )
    assert another_family.status_code == 404

    events = await read_topic(prefix, "homework.events", count=3)
    by_type = {e.type: e for e in events}
    recorded = by_type["homework.completion_recorded.v1"]
    assert (recorded.subject, recorded.data["done"], recorded.data["actual_minutes"]) == ("xiaoming", True, 25)
    assert by_type["homework.submission_graded.v1"].data["feedback"] == "字迹工整，第3题再检查一下"


def over_cap_count() -> float:
    return (
        REGISTRY.get_sample_value(
            "afterschool_homework_classes_over_cap_total", {"service": "homework", "rule": "HW-2"}
        )
        or 0.0
    )


async def test_hw9_a_class_over_its_cap_in_actual_minutes_is_flagged_once_and_counted(
    homework_app: ServiceClient,
) -> None:
    prefix = homework_app.prefix
    chinese = (await assign(homework_app, "wang", homework("语文", 20, on=WEDNESDAY))).json()["assignment_id"]
    maths = (await assign(homework_app, "zhang", homework("数学", 10, on=WEDNESDAY))).json()["assignment_id"]
    await publish_as_producer(prefix, [checked_in("xiaoming"), checked_in("xiaohong")], school_id=SCHOOL)
    before = over_cap_count()
    await present(homework_app, chinese, "xiaoming", True, 26)
    await present(homework_app, chinese, "xiaohong", True, 30)
    await present(homework_app, maths, "xiaoming", True, 12)  # 28 + 12 = 40 > 30 written minutes (HW-2)
    await present(homework_app, maths, "xiaohong", True, 14)
    assert over_cap_count() == before + 1
    assert await school_figure(homework_app.runtime, OVER_CAP_FIGURE, SCHOOL, {}) == 1  # issue 14's per-school panel

    burden = await homework_app.get(
        f"/homework/v1/classes/{CLASS}/burden", params={"from": "2026-11-25", "to": "2026-11-26"}, headers=CLASS_TEACHER
    )
    assert [(d["estimated_minutes"], d["actual_minutes"], d["over_cap_rule"], d["cap"]) for d in burden.json()] == [
        (30, 41, "HW-2", 30),
        (0, None, None, None),
    ]
    events = await read_topic(prefix, "homework.events", count=7)
    flags = [e for e in events if e.type == "homework.class_over_cap.v1"]
    assert [(f.subject, f.data["rule"], f.data["cap"], f.data["actual_minutes"]) for f in flags] == [
        (CLASS, "HW-2", 30, 40)
    ]


async def test_hw9_a_child_who_repeatedly_does_not_finish_is_listed_for_the_class_teacher(
    homework_app: ServiceClient,
) -> None:
    prefix = homework_app.prefix
    days = [date(2026, 11, 23), date(2026, 11, 24), WEDNESDAY]
    ids = [(await assign(homework_app, "wang", homework("语文", 10, on=on))).json()["assignment_id"] for on in days]
    await publish_as_producer(prefix, [checked_in("xiaoming")], school_id=SCHOOL)
    await present(homework_app, ids[0], "xiaoming", False, 10)
    await present(homework_app, ids[1], "xiaoming", True, 15)  # 1.5 × the estimate: a struggle too
    listed = await homework_app.get(f"/homework/v1/classes/{CLASS}/struggling", headers=CLASS_TEACHER)
    assert listed.json()["items"] == []
    await present(homework_app, ids[2], "xiaoming", False, 5)
    listed = await homework_app.get(f"/homework/v1/classes/{CLASS}/struggling", headers=CLASS_TEACHER)
    assert [(s["student_id"], s["struggles"], s["window"]) for s in listed.json()["items"]] == [("xiaoming", 3, 5)]
    await present(homework_app, ids[2], "xiaoming", False, 6)  # recorded again: still listed, flagged only once

    events = await read_topic(prefix, "homework.events", count=8)
    flagged = [e for e in events if e.type == "homework.struggling_student_flagged.v1"]
    assert [(f.subject, f.data["struggles"]) for f in flagged] == [("xiaoming", 3)]


async def test_hw9_a_guardian_reports_the_minutes_at_home_and_they_feed_the_burden(
    homework_app: ServiceClient,
) -> None:
    prefix = homework_app.prefix
    chinese = (await assign(homework_app, "wang", homework("语文", 30, on=WEDNESDAY))).json()["assignment_id"]
    url = f"/homework/v1/students/xiaoming/homework/{chinese}/report"
    reported = await homework_app.post(url, json={"done": True, "actual_minutes": 45}, headers=MUM)
    assert (reported.status_code, reported.json()["recorded_by"], reported.json()["grade"]) == (
        200,
        "guardian:mum",
        None,
    )
    hong_mum = auth(Role.GUARDIAN, "hong-mum", school=SCHOOL)
    assert (await homework_app.post(url, json={"done": True, "actual_minutes": 5}, headers=hong_mum)).status_code == 404

    burden = await homework_app.get(
        f"/homework/v1/classes/{CLASS}/burden", params={"from": "2026-11-25", "to": "2026-11-25"}, headers=ADMIN
    )
    assert [(d["estimated_minutes"], d["actual_minutes"], d["over_cap_rule"]) for d in burden.json()] == [
        (30, 45, "HW-2")
    ]

    await publish_as_producer(prefix, [checked_in("xiaohong")], school_id=SCHOOL)
    await present(homework_app, chinese, "xiaohong", True, 25)
    timed = await homework_app.post(
        f"/homework/v1/students/xiaohong/homework/{chinese}/report",
        json={"done": True, "actual_minutes": 10},
        headers=hong_mum,
    )
    assert (timed.status_code, timed.json()["rule"]) == (409, "HW-7")  # the session's timing stands


async def test_every_route_gives_another_school_and_another_family_nothing(homework_app: ServiceClient) -> None:
    prefix = homework_app.prefix
    chinese = (await assign(homework_app, "wang", homework("语文", 20, on=WEDNESDAY))).json()
    assignment = chinese["assignment_id"]
    await publish_as_producer(prefix, [checked_in("xiaoming")], school_id=SCHOOL)
    await present(homework_app, assignment, "xiaoming", True, 20)
    plan = {"week_start": NEXT_MONDAY.isoformat()}
    assert (await homework_app.post(f"/homework/v1/classes/{CLASS}/plans", json=plan, headers=ADMIN)).status_code == 201
    before = (await homework_app.get(f"/homework/v1/classes/{CLASS}/days/{WEDNESDAY}", headers=ADMIN)).json()

    # Same staff and family ids, but tokens of another school: nothing is found, nothing changes.
    elsewhere = {
        role: auth(role, subject, school=OTHER_SCHOOL)
        for role, subject in [
            (Role.SUBJECT_TEACHER, "wang"),
            (Role.CLASS_TEACHER, "li"),
            (Role.SCHOOL_ADMIN, "principal"),
            (Role.SERVICE_TEACHER, "zhao"),
            (Role.GUARDIAN, "mum"),
        ]
    }
    week = "2026-11-23"
    report = {"done": False, "actual_minutes": 99}
    a = f"/homework/v1/assignments/{assignment}"
    calls: list[tuple[str, str, Role, dict[str, Any] | None]] = [
        ("POST", "/homework/v1/assignments", Role.SUBJECT_TEACHER, homework("语文", 5, on=WEDNESDAY)),
        ("PUT", a, Role.SUBJECT_TEACHER, homework("语文", 5, on=WEDNESDAY)),
        ("POST", f"{a}/withdrawal", Role.SUBJECT_TEACHER, None),
        ("GET", a, Role.SCHOOL_ADMIN, None),
        ("GET", f"/homework/v1/classes/{CLASS}/assignments?from=2026-11-01&to=2026-11-30", Role.SCHOOL_ADMIN, None),
        ("GET", f"/homework/v1/classes/{CLASS}/days/{WEDNESDAY}", Role.CLASS_TEACHER, None),
        ("GET", f"/homework/v1/classes/{CLASS}/weeks/{week}", Role.CLASS_TEACHER, None),
        ("POST", f"/homework/v1/classes/{CLASS}/plans", Role.SCHOOL_ADMIN, plan),
        ("GET", f"/homework/v1/classes/{CLASS}/plans/{NEXT_MONDAY}", Role.GUARDIAN, None),
        (
            "POST",
            f"{a}/completions",
            Role.SERVICE_TEACHER,
            {"results": [{"student_id": "xiaoming", "done": False, "actual_minutes": 1}]},
        ),
        ("GET", f"{a}/completions", Role.SCHOOL_ADMIN, None),
        ("POST", f"{a}/completions/xiaoming/grade", Role.SUBJECT_TEACHER, {"grade": "差", "feedback": "x"}),
        ("GET", "/homework/v1/students/xiaoming/homework", Role.GUARDIAN, None),
        ("POST", f"/homework/v1/students/xiaoming/homework/{assignment}/report", Role.GUARDIAN, report),
        ("GET", f"/homework/v1/classes/{CLASS}/burden?from=2026-11-25&to=2026-11-25", Role.CLASS_TEACHER, None),
        ("GET", f"/homework/v1/classes/{CLASS}/struggling", Role.CLASS_TEACHER, None),
    ]
    for method, url, role, body in calls:
        response = await homework_app.request(method, url, json=body, headers=elsewhere[role])
        assert response.status_code in (403, 404), (method, url, response.status_code, response.text)

    # Within the school: another family, and a class teacher or subject teacher of no business here.
    hong_mum = auth(Role.GUARDIAN, "hong-mum", school=SCHOOL)
    assert (await homework_app.get("/homework/v1/students/xiaoming/homework", headers=hong_mum)).status_code == 404
    report_url = f"/homework/v1/students/xiaoming/homework/{assignment}/report"
    assert (await homework_app.post(report_url, json=report, headers=hong_mum)).status_code == 404
    stranger = auth(Role.CLASS_TEACHER, "li-of-another-class", school=SCHOOL)
    for url in (f"/homework/v1/classes/{CLASS}/days/{WEDNESDAY}", f"/homework/v1/classes/{CLASS}/struggling", a):
        assert (await homework_app.get(url, headers=stranger)).status_code == 404
    not_teaching = auth(Role.SUBJECT_TEACHER, "music-teacher", school=SCHOOL)
    assert (await homework_app.post(f"{a}/withdrawal", headers=not_teaching)).status_code == 403
    unrelated_guardian = auth(Role.GUARDIAN, "stranger", school=SCHOOL)
    plan_url = f"/homework/v1/classes/{CLASS}/plans/{NEXT_MONDAY}"
    assert (await homework_app.get(plan_url, headers=unrelated_guardian)).status_code == 404

    after = (await homework_app.get(f"/homework/v1/classes/{CLASS}/days/{WEDNESDAY}", headers=ADMIN)).json()
    assert after == before
    done = (await homework_app.get(f"{a}/completions", headers=ADMIN)).json()["items"]
    assert [(c["done"], c["grade"]) for c in done] == [(True, None)]
