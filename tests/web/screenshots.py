"""`python -m tests.web.screenshots [folder]`: the pages at 360 px wide, in the states people see, as PNG files
(docs/screenshots by default, linked from the README), taken in Debian's chromium against the all-in-one."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Browser, expect

from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON
from tests.simulators.serve import serve_asgi
from tests.web.conftest import (
    PHONE,
    Running,
    Staffed,
    all_in_one,
    chromium,
    open_signed_in,
    refuse_a_broken_roster,
    staff_school,
)
from web.app import create_web_app
from web.settings import WebSettings


async def take(folder: Path) -> list[Path]:
    """Both languages' screenshots; the files written."""
    with tempfile.TemporaryDirectory() as scratch:
        async with all_in_one(Path(scratch)) as world, chromium() as browser:
            staffed = await staff_school(world)
            await staff_afternoon(world, staffed)
            shots = await take_district_sign_in(browser, folder)
            for lang in ("zh-CN", "en"):
                shots += await take_in(browser, world, folder, lang)
                shots += await take_staff(browser, world, staffed, folder, lang)
            return shots


async def take_district_sign_in(browser: Browser, folder: Path) -> list[Path]:
    """The production sign-in page, offering the district's identity provider (web/oidc.py), in both languages."""
    production = WebSettings(environment="production", oidc_issuer="https://idp.district.example")
    shots = []
    async with serve_asgi(create_web_app(production)) as web:
        context = await browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai", device_scale_factor=2)
        page = await context.new_page()
        for lang in ("zh-CN", "en"):
            await page.goto(f"{web}/app/signin?lang={lang}")
            shots.append(folder / f"signin-district-{lang}.png")
            await page.screenshot(path=shots[-1], full_page=True)
        await context.close()
    return shots


async def staff_afternoon(world: Running, staffed: Staffed) -> None:
    """What the staff pages show: the class handed over with 6 and received as 5 (an open discrepancy, AT-1), a
    leave request waiting (AT-3), 40 minutes of maths homework set (HW-2), two children checked in."""
    api, sid, day = world.api, staffed.school.school_id, SCHOOL_AFTERNOON.date().isoformat()
    teacher = api.token(Role.CLASS_TEACHER, staffed.class_teacher, school=sid)
    given = {"class_id": staffed.class_id, "count": len(staffed.children)}
    path = f"/attendance/v1/sessions/{staffed.session_id}/handovers"
    handover = (await api.post("attendance", path, given, teacher, key="shots-handover")).json()
    service = api.token(Role.SERVICE_TEACHER, staffed.service_teachers[0], school=sid)
    path = f"/attendance/v1/handovers/{handover['handover_id']}/acknowledge"
    await api.post("attendance", path, {"count": len(staffed.children) - 1}, service, key="shots-ack")
    child = staffed.children[1]
    guardian = api.token(Role.GUARDIAN, child.guardian_ids[0], school=sid)
    leave = {"student_id": child.student_id, "day": day, "reason": "看牙医"}
    await api.post("attendance", "/attendance/v1/leave-requests", leave, guardian, key="shots-leave")
    maths = api.token(Role.SUBJECT_TEACHER, staffed.subject_teacher, school=sid)
    homework = {
        "class_id": staffed.class_id,
        "school_subject": "数学",
        "kind": "written",
        "layer": "basic",
        "tiers": [{"name": "全班", "estimated_minutes": 40}],
        "on": day,
        "due_on": day,
        "instructions": "口算练习第 12 页",
    }
    await api.post("homework", "/homework/v1/assignments", homework, maths, key="shots-homework")
    kiosk = api.token(Role.KIOSK, f"{sid}-kiosk-gate", school=sid)
    events = [
        {"student_id": c.student_id, "occurred_at": SCHOOL_AFTERNOON.isoformat(), "method": "card"}
        for c in staffed.children[2:4]
    ]
    batch = {"device_id": f"{sid}-kiosk-gate", "events": events}
    before = await api.consumed("homework", "attendance.student_checked_in.v1")
    await api.post("attendance", "/attendance/v1/check-ins/batch", batch, kiosk, key="shots-check-ins")
    await api.wait_consumed("homework", "attendance.student_checked_in.v1", int(before) + len(events))
    # One child's result recorded in the session (HW-7), the other's still to do: the grading list has one.
    assignment = (
        await api.get(
            "homework", f"/homework/v1/classes/{staffed.class_id}/assignments", maths, **{"from": day, "to": day}
        )
    ).json()["items"][0]["assignment_id"]
    result = {"student_id": staffed.children[2].student_id, "done": True, "actual_minutes": 35}
    path = f"/homework/v1/assignments/{assignment}/completions"
    await api.post("homework", path, {"results": [result]}, service, key="shots-completion")
    admin = api.token(Role.SCHOOL_ADMIN, f"{sid}-admin", school=sid)
    change = {"effective_from": "2026-12-14", "overrides": {"students_per_teacher": 25}}
    await api.put("enrollment", "/enrollment/v1/policy-profiles/school", change, admin)


async def take_staff(browser: Browser, world: Running, staffed: Staffed, folder: Path, lang: str) -> list[Path]:
    """The teacher's page as each kind of teacher sees it, and the school admin's page, in one language."""
    sid, shots = staffed.school.school_id, []
    context = await browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai", device_scale_factor=2)
    service = await open_signed_in(context, world.base, "service_teacher", sid, staffed.service_teachers[0])
    await service.goto(f"{world.base}/app/teacher?lang={lang}")
    await expect(service.locator("#discrepancies li")).to_have_count(1)
    await expect(service.locator("#rollcall li")).to_have_count(len(staffed.children))
    await expect(service.locator("#board dd[data-count='expected']")).to_have_text(str(len(staffed.children)))
    await expect(service.locator("#inservice li")).to_have_count(2)
    shots.append(folder / f"teacher-service-{lang}.png")
    await service.screenshot(path=shots[-1], full_page=True)

    teacher = await open_signed_in(context, world.base, "class_teacher", sid, staffed.class_teacher)
    await teacher.goto(f"{world.base}/app/teacher?lang={lang}")
    await expect(teacher.locator("#class-id")).to_have_value(staffed.class_id)  # their one class, from /me/classes
    await expect(teacher.locator("#leaves li")).to_have_count(1)
    await teacher.select_option("#checkout-child", staffed.children[0].student_id)
    await expect(teacher.locator("#pickups li")).to_have_count(1)
    shots.append(folder / f"teacher-class-{lang}.png")
    await teacher.screenshot(path=shots[-1], full_page=True)

    subject = await open_signed_in(context, world.base, "subject_teacher", sid, staffed.subject_teacher)
    await subject.goto(f"{world.base}/app/teacher?lang={lang}")
    await expect(subject.locator("#hw-class")).to_have_value(staffed.class_id)  # from /me/classes
    await expect(subject.locator("#room")).to_have_attribute("data-written", "20")
    await subject.fill("#hw-subject", "数学")
    await subject.fill("#hw-minutes", "30")
    await subject.fill("#hw-instructions", "应用题两道")
    await subject.click("#homework-form button[type=submit]")
    await expect(subject.locator("#homework-result")).to_have_attribute("data-rule", "HW-2")
    await expect(subject.locator("#grading li")).to_have_count(1)
    shots.append(folder / f"teacher-homework-{lang}.png")
    await subject.screenshot(path=shots[-1], full_page=True)

    admin = await open_signed_in(context, world.base, "school_admin", sid, f"{sid}-admin")
    await admin.goto(f"{world.base}/app/admin?lang={lang}")
    await expect(admin.locator("#sessions tbody tr")).to_have_count(1, timeout=15_000)
    await expect(admin.locator("#programs li")).to_have_count(1)
    await refuse_a_broken_roster(admin)
    await admin.fill("#month", "2026-11")
    await admin.click("#month-form button")
    await expect(admin.locator("#month-status")).to_have_attribute("data-status", "draft")
    await expect(admin.locator("#policy-audit > li")).to_have_count(1)
    shots.append(folder / f"admin-{lang}.png")
    await admin.screenshot(path=shots[-1], full_page=True)

    operator = await open_signed_in(context, world.base, "district_operator", world.district.district_id, "operator-1")
    await operator.goto(f"{world.base}/app/district?lang={lang}")
    await expect(operator.locator(f"#schools tr[data-school='{sid}']")).to_be_visible(timeout=15_000)
    shots.append(folder / f"district-{lang}.png")
    await operator.screenshot(path=shots[-1], full_page=True)
    await context.close()
    return shots


async def take_in(browser: Browser, world: Running, folder: Path, lang: str) -> list[Path]:
    """Sign in as a guardian and a kiosk, scan online and offline, and photograph each page in one language."""
    school = world.district.schools[0]
    child = school.students[0]
    shots: list[Path] = []
    context = await browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai", device_scale_factor=2)
    signin = await context.new_page()
    await signin.goto(f"{world.base}/app/signin?lang={lang}")
    shots.append(folder / f"signin-{lang}.png")
    await signin.screenshot(path=shots[-1], full_page=True)

    guardian = await open_signed_in(context, world.base, "guardian", school.school_id, child.guardian_ids[0])
    await guardian.goto(f"{world.base}/app/guardian?lang={lang}")
    await expect(guardian.locator("body")).to_have_attribute("data-stream", "live")
    device = f"{school.kiosks[0]}-{lang}"
    kiosk = await open_signed_in(context, world.base, "kiosk", school.school_id, device)
    await kiosk.goto(f"{world.base}/app/kiosk?lang={lang}")
    await expect(kiosk.locator("#roster button")).to_have_count(len(school.students))
    await kiosk.fill("#scan", child.student_id)
    await kiosk.press("#scan", "Enter")
    await expect(kiosk.locator("#result")).to_have_attribute("data-state", "created")
    shots.append(folder / f"kiosk-{lang}.png")
    await kiosk.screenshot(path=shots[-1], full_page=True)

    await context.set_offline(True)
    await kiosk.fill("#scan", school.students[1].student_id)
    await kiosk.press("#scan", "Enter")
    await expect(kiosk.locator("#pending")).to_have_text("1")
    shots.append(folder / f"kiosk-offline-{lang}.png")
    await kiosk.screenshot(path=shots[-1])
    await context.set_offline(False)
    await expect(kiosk.locator("#pending")).to_have_text("0", timeout=15_000)

    await expect(guardian.locator("#alerts li")).not_to_have_count(0)
    shots.append(folder / f"guardian-{lang}.png")
    await guardian.screenshot(path=shots[-1], full_page=True)
    await context.close()
    return shots


def main() -> None:
    """Write the screenshots and list them."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for shot in asyncio.run(take(folder)):
        print(shot)


if __name__ == "__main__":
    main()
