"""The browser tests' world: the embedded all-in-one as a subprocess on the pinned school afternoon, a small seeded
school, and Debian's chromium driven headless by Playwright (installed by `bin/bootstrap --dev`, never by
`playwright install`)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright, expect

from afterschool import month as month_demo
from afterschool.district import Api, District, School, Student, build_district, seed
from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON, SECRET
from tests.e2e.processes import SERVICES, embedded
from web.app import PAGE_OF_ROLE

PHONE: ViewportSize = {"width": 360, "height": 740}


@dataclass(frozen=True)
class Running:
    """The all-in-one's base URL, the seeded school, and a client of its APIs."""

    base: str
    district: District
    api: Api

    def admin_token(self) -> str:
        """The school admin's token, to read what the services recorded."""
        school = self.district.schools[0].school_id
        return self.api.token(Role.SCHOOL_ADMIN, f"{school}-admin", school=school)


@contextlib.asynccontextmanager
async def all_in_one(folder: Path) -> AsyncIterator[Running]:
    """`afterschool up` as a subprocess on the pinned afternoon, with one school of 24 children seeded through
    enrollment's API, until the block ends."""
    district = build_district(schools=1, grades=1, classes_per_grade=1, per_class=24)
    async with embedded(folder, env={"AFTERSCHOOL_JWT_SECRET": SECRET}) as base:
        api = Api(dict.fromkeys(SERVICES, base), secret=SECRET)
        try:
            district = await seed(api, district)  # with the ids enrollment stored (issue 11)
            students = district.students()
            await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(students))
            guardians = sum(len(s.guardian_ids) for s in students)
            await api.wait_consumed("notify", "enrollment.guardian_linked.v1", guardians)
            yield Running(base, district, api)
        finally:
            await api.aclose()


@dataclass(frozen=True)
class Staffed:
    """A second school of the all-in-one with its staff: a term from today to the end of November 2026, the base
    service (two service teachers, 14:50–16:50 every weekday), one grade-3 class enrolled through EN-1 with its
    class teacher, and a maths teacher of that class; each child's mother may collect them. Today's session expects
    the class's children."""

    school: School
    class_id: str
    children: tuple[Student, ...]
    class_teacher: str
    service_teachers: tuple[str, ...]
    subject_teacher: str
    session_id: str

    def admin_token(self, api: Api) -> str:
        """The school admin's token, to read what the services recorded."""
        return api.token(Role.SCHOOL_ADMIN, f"{self.school.school_id}-admin", school=self.school.school_id)


async def staff_school(world: Running) -> Staffed:
    """Set up school s2 through enrollment's API, as the demo sets up its month (afterschool/month.py), and wait
    until attendance and homework know it."""
    api, day = world.api, SCHOOL_AFTERNOON.date()
    coded = build_district(schools=2, grades=3, classes_per_grade=1, per_class=6).schools[1]
    sid = coded.school_id
    n = 3  # grade 3: written homework has a cap (HW-2), not a ban (HW-1)
    children = sum(1 for s in coded.students if s.class_id == coded.classes[n - 1][0])
    waits = {
        ("attendance", "enrollment.agreement_signed.v1"): children,
        ("attendance", "enrollment.program_scheduled.v1"): 1,
        ("attendance", "enrollment.class_teacher_assigned.v1"): 1,
        ("homework", "enrollment.teaching_assigned.v1"): 1,
        ("homework", "enrollment.term_calendar_set.v1"): 1,
        ("stipend", "enrollment.fee_plan_set.v1"): 1,
        ("attendance", "enrollment.pickup_person_added.v1"): children,
    }
    before = {wait: await api.consumed(*wait) for wait in waits}
    scheduled = before["attendance", "enrollment.program_scheduled.v1"]
    (school,) = (await seed(api, District("d1", (coded,)))).schools  # with the ids enrollment stored (issue 11)
    class_id = school.classes[n - 1][0]
    taking = replace(school, students=tuple(s for s in school.students if s.class_id == class_id))
    month = month_demo.Month(day, date(2026, 11, 30), day)  # a fee plan cannot start in the past (EN-7)
    await month_demo.set_up(api, District("d1", (coded,)), month)  # its pickups file names the school's codes
    await month_demo.enrol(api, District("d1", (taking,)), month)
    admin = api.token(Role.SCHOOL_ADMIN, f"{sid}-admin", school=sid)
    staff = {"id": f"{sid}-maths", "name": "数学老师", "roles": ["subject_teacher"]}
    registered = await api.post("enrollment", "/enrollment/v1/staff", staff, admin, key=f"web-{sid}-maths")
    maths = registered.json()["staff_id"]
    teaching = {"staff_id": maths, "school_subject": "数学"}
    await api.post("enrollment", f"/enrollment/v1/classes/{class_id}/teachings", teaching, admin, key=f"web-{maths}-t")
    for child in taking.students:  # who collects each child: their first guardian, with a card (BX-2)
        mother = {"name": f"{child.name}的妈妈", "relation": "母亲", "credential_ref": f"card-{child.student_id}"}
        path = f"/enrollment/v1/students/{child.student_id}/pickups"
        await api.post("enrollment", path, mother, admin, key=f"web-mother-{child.student_id}")
    for (service, event_type), count in waits.items():
        await api.wait_consumed(service, event_type, int(before[service, event_type]) + count)
    # Once attendance knows who is expected: today's session starts at 14:50, so its absence check (AT-3, 10 minutes
    # after the start) falls due as the all-in-one's clock starts (15:00) and every child not checked in by then has
    # a case for the class teacher's page. (Much earlier, and the check would be history when it is scheduled, which
    # never alarms anyone: LATE-3.)
    program = {
        "name": "课后托管",
        "capacity": 2000,
        "teacher_ids": [month_demo.teacher_id(sid, t) for t in month_demo.TEACHERS],
        "weekdays": [0, 1, 2, 3, 4],
        "starts_at": "14:50",
        "class_hours": 3,
        "min_grade": 1,
        "max_grade": 6,
    }
    await api.put("enrollment", f"/enrollment/v1/programs/{month_demo.program_id(school)}", program, admin)
    await api.wait_consumed("attendance", "enrollment.program_scheduled.v1", int(scheduled) + 2)
    return Staffed(
        school=school,
        class_id=class_id,
        children=taking.students,
        class_teacher=month_demo.class_teacher_id(school, n),
        service_teachers=tuple(month_demo.teacher_id(sid, t) for t in month_demo.TEACHERS),
        subject_teacher=maths,
        session_id=f"{month_demo.program_id(school)}:{day.isoformat()}",
    )


async def present_for_homework(running: Running, staffed: Staffed, child: Student) -> None:
    """`child` checked in to today's session by a service teacher (one check-in, whichever test asks first: the key
    and body are the same, so a second ask is a replay), once homework knows they are here (HW-7 records results
    only for children present)."""
    api, sid = running.api, staffed.school.school_id
    teacher = staffed.service_teachers[1]
    token = api.token(Role.SERVICE_TEACHER, teacher, school=sid)
    here = {
        "student_id": child.student_id,
        "occurred_at": SCHOOL_AFTERNOON.isoformat(),
        "device_id": f"{teacher}/web",
        "method": "manual",
    }
    before = await api.consumed("homework", "attendance.student_checked_in.v1")
    answer = await api.post("attendance", "/attendance/v1/check-ins", here, token, key=f"web-hw7-{child.student_id}")
    if answer.headers.get("Idempotent-Replayed") != "true":  # a replay's event was waited for by whoever made it
        await api.wait_consumed("homework", "attendance.student_checked_in.v1", int(before) + 1)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, until the block ends."""
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `bin/bootstrap --dev` installs it"
    async with async_playwright() as playwright:
        # As root (CI, containers) chromium refuses to start with its sandbox.
        launched = await playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="session")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    """The all-in-one and its seeded school, shared by the browser tests (each uses its own children and devices)."""
    async with all_in_one(tmp_path_factory.mktemp("web")) as world:
        yield world


@pytest_asyncio.fixture(scope="session")
async def staffed(running: Running) -> Staffed:
    """School s2 of the shared all-in-one, with its staff and today's session (the teacher and admin pages)."""
    return await staff_school(running)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless."""
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile at 360 px wide, in Shanghai, in Chinese (the default)."""
    context = await browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai", locale="zh-CN")
    yield context
    await context.close()


async def open_signed_in(context: BrowserContext, base: str, role: str, school: str, subject: str) -> Page:
    """A page of `context` signed in through the development sign-in page, on the role's own page; its device time
    starts at the pinned afternoon (no wall clock)."""
    page = await context.new_page()
    await page.clock.install(time=SCHOOL_AFTERNOON)  # the device clock starts there and runs on
    await page.goto(f"{base}/app/signin")
    await page.select_option("#role", role)
    await page.fill("#school", school)
    await page.fill("#subject", subject)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**/app/{PAGE_OF_ROLE[Role(role)]}?lang=zh-CN")
    return page


async def every_item(running: Running, service: str, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of one of a service's keyset-paged lists, read page by page through its API."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = await running.api.get(service, path, token, limit=500, **params, **({"after": after} if after else {}))
        body = page.json()
        items += body["items"]
        after = body.get("next")
        if not after:
            return items


async def refuse_a_broken_roster(admin: Page) -> None:
    """On the admin's page: upload a students CSV with two broken rows and wait for the refusal's report."""
    broken = "学号,姓名,班级\nnew-1,新同学,9年级9班\nbad id,另一位,9年级9班\n".encode()
    await admin.set_input_files("#import-file", {"name": "学生.csv", "mimeType": "text/csv", "buffer": broken})
    await admin.click("#import-form button[type=submit]")
    await expect(admin.locator("#import-report")).to_have_attribute("data-state", "refused")


async def fits(page: Page, width: int = PHONE["width"]) -> bool:
    """Nothing on the page is wider than the screen (no sideways scrolling at 360 px)."""
    scroll_width: int = await page.evaluate("document.scrollingElement.scrollWidth")
    return scroll_width <= width
