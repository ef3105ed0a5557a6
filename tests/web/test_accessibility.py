"""axe-core in the browser on every page, in both languages and in the states people see (a scan's result, an alert
on screen): no serious or critical violation of WCAG 2.1 A/AA (contrast, labels, names, keyboard, language).

axe-core comes from PyPI (`axe-core-python` ships `axe.min.js`); nothing is fetched at run time."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON
from tests.web.conftest import Running, Staffed, open_signed_in, present_for_homework, refuse_a_broken_roster

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

AXE = (files("axe_core_python") / "axe.min.js").read_text()
RATIO_DESCRIBED = {
    "zh-CN": "BX-6：实时看板检查的师生比（每位教师的学生数）",
    "en": "BX-6: the students per teacher the live board checks",
}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


async def reading_in_the_session(running: Running, staffed: Staffed, lang: str) -> str:
    """Today's reading homework of the class (one per language), with a child present, so the service teacher's page
    shows its in-session form (HW-7); its id."""
    api, sid = running.api, staffed.school.school_id
    maths = api.token(Role.SUBJECT_TEACHER, staffed.subject_teacher, school=sid)
    day = SCHOOL_AFTERNOON.date()
    reading = {
        "class_id": staffed.class_id,
        "school_subject": "数学",
        "kind": "reading",
        "tiers": [{"name": "全班", "estimated_minutes": 10}],
        "on": day.isoformat(),
        "due_on": (day + timedelta(days=1)).isoformat(),
        "instructions": f"读一首古诗 ({lang})",
    }
    answer = await api.post("homework", "/homework/v1/assignments", reading, maths, key=f"web-a11y-reading-{lang}")
    await present_for_homework(running, staffed, staffed.children[4])
    assignment: str = answer.json()["assignment_id"]
    return assignment


async def record_a_result(running: Running, staffed: Staffed, assignment: str) -> None:
    """The present child's result for the homework, so the subject teacher's page shows its grading form (HW-7)."""
    sid = staffed.school.school_id
    teacher = running.api.token(Role.SERVICE_TEACHER, staffed.service_teachers[1], school=sid)
    result = {"student_id": staffed.children[4].student_id, "done": True, "actual_minutes": 9}
    path = f"/homework/v1/assignments/{assignment}/completions"
    await running.api.post("homework", path, {"results": [result]}, teacher, key=f"web-a11y-{assignment}")


async def serious_violations(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line each."""
    # Evaluated through the DevTools protocol, so the page's own Content-Security-Policy does not stop it.
    await page.evaluate(AXE)
    results: dict[str, Any] = await page.evaluate("options => axe.run(document, options)", WCAG_21_AA)
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_no_page_has_a_serious_accessibility_violation(
    running: Running, staffed: Staffed, phone: BrowserContext, lang: str
) -> None:
    school = running.district.schools[0]
    child = school.students[21]
    found: dict[str, list[str]] = {}

    signin = await phone.new_page()
    await signin.goto(f"{running.base}/app/signin?lang={lang}")
    found["signin"] = await serious_violations(signin)

    kiosk = await open_signed_in(phone, running.base, "kiosk", school.school_id, f"{school.school_id}-kiosk-a11y")
    await kiosk.goto(f"{running.base}/app/kiosk?lang={lang}")
    await expect(kiosk.locator("#roster button")).to_have_count(len(school.students))
    await kiosk.fill("#scan", child.student_id)
    await kiosk.press("#scan", "Enter")
    await expect(kiosk.locator("#result")).to_have_attribute("data-state", "created")
    found["kiosk"] = await serious_violations(kiosk)
    await kiosk.fill("#scan", "no-such-card")
    await kiosk.press("#scan", "Enter")
    await expect(kiosk.locator("#result")).to_have_attribute("data-state", "refused")
    found["kiosk refusing"] = await serious_violations(kiosk)

    guardian = await open_signed_in(phone, running.base, "guardian", school.school_id, child.guardian_ids[0])
    await guardian.goto(f"{running.base}/app/guardian?lang={lang}")
    await expect(guardian.locator("#alerts li")).not_to_have_count(0)
    found["guardian"] = await serious_violations(guardian)

    sid = staffed.school.school_id
    reading = await reading_in_the_session(running, staffed, lang)
    service = await open_signed_in(phone, running.base, "service_teacher", sid, staffed.service_teachers[1])
    await service.goto(f"{running.base}/app/teacher?lang={lang}")
    await expect(service.locator("#rollcall li")).to_have_count(len(staffed.children))
    await expect(service.locator(f"#inservice li[data-assignment='{reading}'] form")).to_be_visible()
    found["teacher (service)"] = await serious_violations(service)
    teacher = await open_signed_in(phone, running.base, "class_teacher", sid, staffed.class_teacher)
    await teacher.goto(f"{running.base}/app/teacher?lang={lang}")
    await expect(teacher.locator("#class-id")).to_have_value(staffed.class_id)  # their one class, from /me/classes
    await expect(teacher.locator("#give-form")).to_be_visible()
    await teacher.select_option("#checkout-child", staffed.children[0].student_id)
    await expect(teacher.locator("#pickups li")).not_to_have_count(0)
    found["teacher (class)"] = await serious_violations(teacher)
    subject = await open_signed_in(phone, running.base, "subject_teacher", sid, staffed.subject_teacher)
    await subject.goto(f"{running.base}/app/teacher?lang={lang}")
    await expect(subject.locator("#hw-class")).to_have_value(staffed.class_id)  # from /me/classes
    await expect(subject.locator("#room")).not_to_be_empty()
    await record_a_result(running, staffed, reading)
    await subject.select_option("#grade-assignment", reading)
    await expect(subject.locator("#grading li form")).to_be_visible()
    await subject.fill("#hw-subject", "体育")
    await subject.fill("#hw-minutes", "20")
    await subject.fill("#hw-instructions", "跳绳")
    await subject.select_option("#hw-kind", "written")
    await subject.evaluate("document.getElementById('hw-on').value = '2026-11-28'")  # a Saturday
    await subject.click("#homework-form button[type=submit]")
    await expect(subject.locator("#homework-result")).to_have_attribute("data-state", "refused")
    found["teacher (subject, refused)"] = await serious_violations(subject)

    admin = await open_signed_in(phone, running.base, "school_admin", sid, f"{sid}-admin")
    await admin.goto(f"{running.base}/app/admin?lang={lang}")
    await expect(admin.locator("#sessions tbody tr")).not_to_have_count(0)
    await expect(admin.locator("#programs li")).not_to_have_count(0)
    # Each policy setting described in the page's language (PL-1), from its own catalogue.
    ratio = admin.locator("#policy dt[data-setting='students_per_teacher'] small")
    await expect(ratio).to_have_text(RATIO_DESCRIBED[lang])
    await refuse_a_broken_roster(admin)
    found["admin"] = await serious_violations(admin)

    assert {page: v for page, v in found.items() if v} == {}
