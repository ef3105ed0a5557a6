"""The school admin's page in a real browser (Debian's chromium, headless) against the all-in-one: a 2,000-row XLSX
roster with two broken rows is refused with its row-by-row report and nothing imported, then the corrected file
imports with the progress shown (EN-8); the live board, the programs with their fee plans, and the month's
statements downloaded as CSV and XLSX through the stipend's export API (ST-5, ST-6)."""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import BrowserContext, expect

from afterschool.district import District, School, build_district, seed
from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON
from tests.web.conftest import Running, Staffed, every_item, fits, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROWS = 2000
IMPORT_SCHOOL, IMPORT_CLASS = "s3", "s3-g4-c1"
DAY = SCHOOL_AFTERNOON.date().isoformat()
LATER = "2026-12-14"  # a day after the term: a profile change from then touches nothing another test reads
BROKEN_ID_ROW, UNKNOWN_CLASS_ROW = 701, 1402  # spreadsheet rows (the header is row 1)


def roster_xlsx(folder: Path, name: str, *, broken: bool) -> Path:
    """2,000 children of one class as a school keeps them (学号, 姓名, 班级); `broken`: one id with a space and
    one child in a class the school does not have."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学号", "姓名", "班级"])
    for n in range(1, ROWS + 1):
        row = n + 1
        student_id = "坏 学号" if broken and row == BROKEN_ID_ROW else f"s3-{n:04d}"
        klass = "9年级9班" if broken and row == UNKNOWN_CLASS_ROW else IMPORT_CLASS
        sheet.append([student_id, f"学生{n:04d}", klass])
    buffer = io.BytesIO()
    book.save(buffer)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


async def students(running: Running, admin: str) -> int:
    """How many children enrollment lists for the admin's school (read through its API, page by page)."""
    return len(await every_item(running, "enrollment", "/enrollment/v1/students", admin))


async def test_an_admin_imports_a_2000_row_xlsx_with_two_broken_rows_and_sees_the_progress_and_the_report(
    running: Running, phone: BrowserContext, tmp_path: Path
) -> None:
    api = running.api
    operator = api.token(Role.DISTRICT_OPERATOR, "operator-1", district="d1")
    school = {"id": IMPORT_SCHOOL, "name": "新华小学"}
    await api.post("enrollment", "/enrollment/v1/schools", school, operator, key="web-s3")
    admin = api.token(Role.SCHOOL_ADMIN, f"{IMPORT_SCHOOL}-admin", school=IMPORT_SCHOOL)
    klass = {"id": IMPORT_CLASS, "grade": 4, "name": "4年级1班"}
    await api.post("enrollment", "/enrollment/v1/classes", klass, admin, key="s3-class")

    page = await open_signed_in(phone, running.base, "school_admin", IMPORT_SCHOOL, f"{IMPORT_SCHOOL}-admin")
    await page.select_option("#import-kind", "students")
    await page.set_input_files("#import-file", roster_xlsx(tmp_path, "roster-broken.xlsx", broken=True))
    await page.click("#import-form button[type=submit]")
    report = page.locator("#import-report")
    await expect(report).to_have_attribute("data-state", "refused", timeout=30_000)
    await expect(report.locator("strong")).to_have_text("文件有错误，未导入任何数据")
    await expect(report).to_contain_text(f"共 {ROWS} 行，其中 2 行有错误")
    errors = report.locator("#import-errors tbody tr")
    await expect(errors).to_have_count(2)
    await expect(errors.nth(0)).to_have_attribute("data-row", str(BROKEN_ID_ROW))
    await expect(errors.nth(0)).to_contain_text("坏 学号")
    await expect(errors.nth(1)).to_have_attribute("data-row", str(UNKNOWN_CLASS_ROW))
    await expect(errors.nth(1).locator("td").nth(1)).to_have_text("班级")
    assert await fits(page)
    assert await students(running, admin) == 0  # nothing of a broken file is imported

    # The corrected file: the page follows the job's rows on its progress bar until the report.
    await page.evaluate(
        """() => {
          window.seen = [];
          const count = document.getElementById("import-count");
          new MutationObserver(() => window.seen.push(count.textContent)).observe(
            count, { childList: true, characterData: true, subtree: true });
        }"""
    )
    await page.set_input_files("#import-file", roster_xlsx(tmp_path, "roster.xlsx", broken=False))
    await page.click("#import-form button[type=submit]")
    await expect(report).to_have_attribute("data-state", "created", timeout=120_000)
    await expect(report.locator("strong")).to_have_text("导入完成")
    await expect(report.locator(".summary")).to_have_text(f"共 {ROWS} 行：新增 {ROWS}，更新 0，未变 0")
    await expect(page.locator("#import-progress")).to_have_attribute("value", str(ROWS))
    await expect(page.locator("#import-count")).to_have_text(f"{ROWS} / {ROWS}")
    seen: list[str] = await page.evaluate("window.seen")
    rows = [int(s.split(" / ")[0]) for s in seen if " / " in s]
    assert rows == sorted(rows), seen
    assert rows[-1] == ROWS, seen
    print(f"progress seen: {rows} of the import, {len([s for s in seen if s.endswith('%')])} of the upload")
    assert await students(running, admin) == ROWS


async def test_the_admin_sees_the_live_board_programs_and_fee_plans_and_downloads_the_months_statements(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    sid = staffed.school.school_id
    page = await open_signed_in(phone, running.base, "school_admin", sid, f"{sid}-admin")
    session = page.locator(f"#sessions tr[data-session='{staffed.session_id}']")
    await expect(session).to_be_visible(timeout=15_000)  # the stream's first board (seconds on a loaded machine)
    await expect(session.locator("td").first).to_have_text(str(len(staffed.children)))
    await expect(page.locator("#board-live")).to_have_text("实时连接中")

    # Live: a kiosk check-in of a child who is not yet present moves the board without a reload (BX-6).
    present = page.locator("#totals dd[data-count='present']")
    before = int(await present.inner_text())
    child = staffed.children[3]
    kiosk = running.api.token(Role.KIOSK, f"{sid}-kiosk-gate", school=sid)
    event = {"student_id": child.student_id, "device_id": f"{sid}-kiosk-gate", "method": "card"}
    event["occurred_at"] = SCHOOL_AFTERNOON.isoformat()
    await running.api.post("attendance", "/attendance/v1/check-ins", event, kiosk, key="web-admin-board")
    await expect(present).to_have_text(str(before + 1), timeout=10_000)

    program = page.locator(f"#programs li[data-program='{staffed.session_id.split(':')[0]}']")
    await expect(program).to_contain_text("课后托管")
    await expect(program.locator(".fee")).to_have_text("每课时 ¥2.30，每天最多收 2 课时，2026-11-25 起")

    # Month close (ST-5, ST-6): November is not over, so it cannot be approved; October (no afternoon in the
    # service yet) is approved, published and its family statements issued.
    status, outcome = page.locator("#month-status"), page.locator("#outcome")
    await page.fill("#month", "2026-11")
    await page.click("#month-form button")
    await expect(status).to_have_attribute("data-status", "draft")
    await page.click("#approve")
    await expect(outcome).to_have_attribute("data-state", "refused")
    await expect(outcome).to_contain_text("(ST-5)")
    await expect(status).to_have_attribute("data-status", "draft")
    await page.fill("#month", "2026-10")
    await page.click("#month-form button")
    await expect(status).to_have_text("2026-10：草稿 · 0 位老师，应发 ¥0.00")
    for button, done, state in (("#approve", "已审核", "approved"), ("#publish", "已发布", "published")):
        await page.click(button)
        await expect(outcome).to_have_text(done)
        await expect(status).to_have_attribute("data-status", state)
    await page.click("#issue")
    await expect(outcome).to_have_text("已发出 0 份家庭账单，合计 ¥0.00")
    await page.fill("#month", "2026-11")
    await page.click("#month-form button")
    await expect(status).to_have_attribute("data-status", "draft")
    for what in ("teacher-statements", "family-statements"):
        for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK")):
            async with page.expect_download() as waiting:
                await page.click(f"button.download[data-what='{what}'][data-format='{fmt}']")
            download = await waiting.value
            assert download.suggested_filename == f"{what}-2026-11.{fmt}"
            content = await asyncio.to_thread(Path(await download.path()).read_bytes)
            assert content.startswith(magic), (what, fmt, content[:20])
    assert await fits(page)


async def test_the_admin_grants_and_revokes_a_fee_waiver_changes_a_policy_setting_and_runs_an_allocation(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    """EN-7: a child's waiver granted with its reason, then revoked. PL-1/PL-2: two settings of the school changed
    from one day, one after the other (the second keeps the first), shown in force from that day only and in the
    audit; an out-of-range value refused. EN-3: an allocation run with a given seed, recorded and reproducible."""
    sid = staffed.school.school_id
    api, admin = running.api, staffed.admin_token(running.api)
    child, program = staffed.children[0], staffed.session_id.split(":")[0]
    page = await open_signed_in(phone, running.base, "school_admin", sid, f"{sid}-admin")
    outcome = page.locator("#outcome")

    await page.fill("#waiver-child", child.student_id)
    await page.press("#waiver-child", "Enter")
    await expect(page.locator("#waivers-none")).to_be_visible()
    await page.select_option("#waiver-program", program)
    await page.fill("#waiver-percent", "50")
    await page.fill("#waiver-reason", "低保家庭")
    await page.click("#waiver-form button[type=submit]")
    await expect(outcome).to_have_text("已批准减免")
    waiver = page.locator("#waivers li")
    await expect(waiver).to_contain_text(f"课后托管 · 缴 50% · {DAY} 至 撤销为止")
    await expect(waiver).to_contain_text("低保家庭")
    await waiver.get_by_role("button", name="撤销").click()
    await expect(waiver).to_have_attribute("data-revoked", "yes")
    path = f"/enrollment/v1/students/{child.student_id}/fee-waivers"
    stored = (await api.get("enrollment", path, admin)).json()["items"]
    assert [(w["program_id"], w["percent_payable"], w["valid_from"], w["reason"]) for w in stored] == [
        (program, 50, DAY, "低保家庭")
    ]
    assert stored[0]["revoked_on"] is not None
    await expect(waiver).to_contain_text(f"已撤销，{stored[0]['revoked_on']} 起不再减免")

    ratio = page.locator("#policy dd[data-setting='students_per_teacher']")
    await expect(ratio).to_have_text("30")  # the national default, today
    for setting, value, shown in (("students_per_teacher", "25", "25"), ("offers_bus", "true", "true")):
        await page.select_option("#override-key", setting)
        await page.fill("#override-value", value)
        await page.fill("#override-from", LATER)
        await page.click("#override-form button[type=submit]")
        await expect(outcome).to_have_text(f"已保存：{LATER} 起 {setting} = {shown}")
    await expect(ratio).to_have_text("30")  # still today's
    audit = page.locator("#policy-audit > li").first
    await expect(audit.locator("li[data-setting='offers_bus']")).to_have_text("offers_bus: — → true")
    await page.fill("#policy-on", LATER)
    await page.dispatch_event("#policy-on", "change")
    await expect(ratio).to_have_text("25")
    await expect(page.locator("#policy dd[data-setting='offers_bus']")).to_have_text("true")
    await page.select_option("#override-key", "students_per_teacher")
    await page.fill("#override-value", "0")
    await page.click("#override-form button[type=submit]")
    await expect(outcome).to_have_attribute("data-state", "refused")
    in_force = "/enrollment/v1/policy-profiles/in-force"
    later = (await api.get("enrollment", in_force, admin, on=LATER)).json()["settings"]
    today = (await api.get("enrollment", in_force, admin, on=DAY)).json()["settings"]
    assert (later["students_per_teacher"], later["offers_bus"]) == (25, True)
    assert (today["students_per_teacher"], today["offers_bus"]) == (30, False)

    term = await page.locator("#allocation-term").input_value()
    await page.fill("#allocation-seed", "20261125")
    await page.click("#allocation-form button[type=submit]")
    result = page.locator("#allocation-result")
    await expect(result.locator(".summary")).to_have_text("种子 20261125 · 分配 0 个名额 · 候补 0 人")
    await expect(result).to_contain_text("用记录的输入和种子重算，结果一致")
    run = await result.get_attribute("data-run")
    recorded = (await api.get("enrollment", f"/enrollment/v1/allocation-runs/{run}", admin)).json()
    assert (recorded["term_id"], recorded["seed"], recorded["by"]) == (term, 20261125, f"{sid}-admin")
    terms = (await api.get("enrollment", "/enrollment/v1/terms", admin)).json()["items"]
    assert term in {t["term_id"] for t in terms}  # one of the school's own terms (its id is a stored id, issue 11)
    assert await fits(page)
    await page.reload()  # the last run is shown again, read back by its id
    await expect(result.locator(".summary")).to_have_text("种子 20261125 · 分配 0 个名额 · 候补 0 人")


CLUBS = {  # a club's id suffix: its name, capacity and weekday
    "chess": ("象棋社", 1, 1),
    "choir": ("合唱团", 2, 3),
}
RANKED = (("chess", "choir"), ("chess",), ("chess", "choir"), ("choir", "chess"))  # each child's choices, best first


async def club_applicants(running: Running) -> tuple[School, str, dict[str, str]]:
    """School s4 through enrollment's public API: a term from today, two clubs (象棋社 with 1 place, 合唱团 with 2),
    and four grade-3 children whose guardians applied with ranked club choices (RANKED), reviewed by the class
    teacher and approved by the school (EN-1), so they take part in an allocation run (EN-3); the term's id and the
    clubs' ids by CLUBS' key (as enrollment stored them, issue 11)."""
    api = running.api
    coded = build_district(schools=4, grades=3, classes_per_grade=1, per_class=4).schools[3]
    sid, class_code = coded.school_id, coded.classes[2][0]
    coded = replace(coded, students=tuple(s for s in coded.students if s.class_id == class_code))
    (school,) = (await seed(api, District("d1", (coded,)))).schools  # with the ids enrollment stored (issue 11)
    class_id = school.classes[2][0]
    admin = api.token(Role.SCHOOL_ADMIN, f"{sid}-admin", school=sid)
    term = f"{sid}-clubs"
    dates = {"id": term, "name": "社团学期", "starts_on": DAY, "ends_on": "2026-12-31"}
    term = (await api.post("enrollment", "/enrollment/v1/terms", dates, admin, key=f"web-{term}")).json()["term_id"]
    teacher = {"id": f"{sid}-ct", "name": "三年级班主任", "roles": ["class_teacher"]}
    registered = await api.post("enrollment", "/enrollment/v1/staff", teacher, admin, key=f"web-{sid}-ct")
    class_teacher = registered.json()["staff_id"]
    await api.put("enrollment", f"/enrollment/v1/classes/{class_id}/class-teacher", {"staff_id": class_teacher}, admin)
    clubs: dict[str, str] = {}
    for suffix, (name, capacity, weekday) in CLUBS.items():
        club = {
            "id": f"{sid}-{suffix}",
            "term_id": term,
            "kind": "club",
            "name": name,
            "capacity": capacity,
            "weekdays": [weekday],
            "starts_at": "16:00",
            "class_hours": 1,
            "min_grade": 1,
            "max_grade": 6,
        }
        created = await api.post("enrollment", "/enrollment/v1/programs", club, admin, key=f"web-{sid}-{suffix}")
        clubs[suffix] = created.json()["program_id"]
    reviewer = api.token(Role.CLASS_TEACHER, class_teacher, school=sid)
    for child, ranked in zip(school.students, RANKED, strict=True):
        guardian = api.token(Role.GUARDIAN, child.guardian_ids[0], school=sid)
        application = f"{child.student_id}-clubs"
        choices = [clubs[c] for c in ranked]
        body: dict[str, Any] = {"id": application, "student_id": child.student_id, "term_id": term}
        body["club_choices"] = choices
        await api.post("enrollment", "/enrollment/v1/applications", body, guardian, key=f"web-{application}")
        for step, token in (("review", reviewer), ("approval", admin)):
            path = f"/enrollment/v1/applications/{application}/{step}"
            await api.post("enrollment", path, {}, token, key=f"web-{application}-{step}")
    return school, term, clubs


async def test_an_allocation_run_shows_each_clubs_places_by_name_and_its_waitlist(
    running: Running, phone: BrowserContext
) -> None:
    """EN-3, BX-1: four applicants with ranked choices for 象棋社 (1 place) and 合唱团 (2); the admin runs the
    allocation with a seed from the page and sees the seed, each club's places given with the children's names, and
    each waitlist in order — exactly what enrollment recorded for the run; the same after a reload."""
    school, term, clubs = await club_applicants(running)
    sid, api = school.school_id, running.api
    name = {s.student_id: s.name for s in school.students}
    assert len(set(name.values())) == len(name)  # the page names children: the test must tell them apart
    page = await open_signed_in(phone, running.base, "school_admin", sid, f"{sid}-admin")
    await page.select_option("#allocation-term", term)
    await page.fill("#allocation-seed", "20261206")
    await page.click("#allocation-form button[type=submit]")
    result = page.locator("#allocation-result")
    await expect(result).to_have_attribute("data-run", re.compile(".+"))
    run = await result.get_attribute("data-run")
    admin = api.token(Role.SCHOOL_ADMIN, f"{sid}-admin", school=sid)
    recorded = (await api.get("enrollment", f"/enrollment/v1/allocation-runs/{run}", admin)).json()
    places, waitlists = recorded["result"]["places"], recorded["result"]["waitlists"]
    assert (recorded["term_id"], recorded["seed"], recorded["allocated"]) == (term, 20261206, 3)  # every place given
    assert sorted(len(places.get(clubs[c], [])) for c in CLUBS) == [1, 2]
    summary = f"种子 20261206 · 分配 3 个名额 · 候补 {recorded['waitlisted']} 人"
    await expect(result.locator(".summary")).to_have_text(summary)

    async def shows_the_run() -> None:
        for suffix, (club_name, _, _) in CLUBS.items():
            club = result.locator(f"li[data-program='{clubs[suffix]}']")
            given, waiting = places.get(clubs[suffix], []), waitlists.get(clubs[suffix], [])
            await expect(club.locator("strong")).to_have_text(club_name)
            names = "、".join(name[c] for c in given) or "—"
            await expect(club.locator(".given")).to_have_text(f"给出 {len(given)} 个名额：{names}")
            names = "、".join(name[c] for c in waiting) or "—"
            await expect(club.locator(".waiting")).to_have_text(f"候补 {len(waiting)} 人（按顺序）：{names}")

    await shows_the_run()
    assert await fits(page)
    await page.reload()  # the last run is shown again, read back by its id
    await expect(result.locator(".summary")).to_have_text(summary)
    await shows_the_run()
