"""The teacher's page in a real browser (Debian's chromium, headless) against the all-in-one: the roll call and the
two-party handover with a discrepancy and its resolution (AT-1, BX-3), homework refused at the cap with the rule and
the numbers shown (HW-2), a leave decision (AT-3) and a check-out to an authorised adult with their relation
(AT-5)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON
from tests.web.conftest import PHONE, Running, Staffed, fits, open_signed_in, present_for_homework

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DAY = SCHOOL_AFTERNOON.date().isoformat()


async def another_phone(browser: Browser) -> BrowserContext:
    """A second person's phone: its own browser profile, 360 px wide, in Shanghai."""
    return await browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai", locale="zh-CN")


async def discrepancies(running: Running, staffed: Staffed, status: str) -> list[dict[str, Any]]:
    admin = staffed.admin_token(running.api)
    answer = await running.api.get("attendance", "/attendance/v1/handover-discrepancies", admin, status=status)
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_the_teachers_handover_with_a_discrepancy_and_its_resolution(
    running: Running, staffed: Staffed, phone: BrowserContext, browser: Browser
) -> None:
    """AT-1, BX-3: the class teacher hands 6 over, the service teacher counts 5: both see the discrepancy, with the
    numbers; the service teacher resolves it with a note and it leaves both pages."""
    sid = staffed.school.school_id
    service = await open_signed_in(phone, running.base, "service_teacher", sid, staffed.service_teachers[0])
    await expect(service.locator("#session")).to_have_value(staffed.session_id)
    roll = service.locator("#rollcall li")
    await expect(roll).to_have_count(len(staffed.children))
    assert await fits(service)

    # The roll call: a child who came without checking in is marked present, and the board counts them.
    expected = service.locator("#board dd[data-count='expected']")
    await expect(expected).to_have_text(str(len(staffed.children)), timeout=15_000)  # the stream's first board
    present = service.locator("#board dd[data-count='present']")
    before = int(await present.inner_text())
    first = staffed.children[0].student_id
    await service.locator(f"#rollcall li[data-student='{first}'] button").click()
    await expect(service.locator(f"#rollcall li[data-student='{first}']")).to_have_attribute("data-present", "yes")
    await expect(present).to_have_text(str(before + 1), timeout=10_000)  # live, without a reload

    other = await another_phone(browser)
    try:
        teacher = await open_signed_in(other, running.base, "class_teacher", sid, staffed.class_teacher)
        await expect(teacher.locator("#class-id")).to_have_value(staffed.class_id)  # their one class, from /me/classes
        await expect(teacher.locator("#give-expected")).to_contain_text(f"{len(staffed.children)} 人")
        await expect(teacher.locator("#give-count")).to_have_value(str(len(staffed.children)))
        await teacher.click("#give-form button")
        await expect(teacher.locator("#outcome")).to_have_text("已交接 6 人（应到 6 人）")
        await expect(teacher.locator("#give-form")).to_be_hidden()
        status = teacher.locator("#give-status")
        await expect(status).to_have_text("已交接 6 人（应到 6 人） · 等待课后服务老师清点接收")

        # The service teacher's page shows the handover within its refresh, and they count one child fewer.
        handover = service.locator(f"#received li[data-class='{staffed.class_id}']")
        await expect(handover).to_contain_text("交出 6 人（应到 6 人）", timeout=10_000)
        await handover.get_by_label("我清点的人数").fill("5")
        await handover.get_by_role("button", name="确认接收").click()
        await expect(service.locator("#outcome")).to_have_text(
            "人数不一致：应为 6 人，清点 5 人。已通知，请核实并处理。"
        )
        await expect(handover).to_contain_text("已接收，清点 5 人")
        shown = service.locator("#discrepancies li")
        await expect(shown).to_have_count(1)
        await expect(shown).to_contain_text(f"{staffed.class_id} · 课后服务老师接收时：应为 6 人，实为 5 人")
        await expect(teacher.locator("#discrepancies li")).to_contain_text("应为 6 人，实为 5 人", timeout=10_000)
        await expect(status).to_have_text("已交接 6 人（应到 6 人） · 已接收，清点 5 人")
        assert [d["counted"] for d in await discrepancies(running, staffed, "open")] == [5]

        await shown.get_by_label("处理说明").fill("一名学生在医务室，已找到")
        await shown.get_by_role("button", name="标记为已解决").click()
        await expect(service.locator("#outcome")).to_have_text("不一致已解决")
        await expect(service.locator("#discrepancies li")).to_have_count(0)
        await expect(service.locator("#discrepancy-none")).to_be_visible()
        await expect(teacher.locator("#discrepancies li")).to_have_count(0, timeout=10_000)
        assert await fits(teacher)
    finally:
        await other.close()
    assert await discrepancies(running, staffed, "open") == []
    resolved = await discrepancies(running, staffed, "resolved")
    assert [(d["expected"], d["counted"], d["note"]) for d in resolved] == [(6, 5, "一名学生在医务室，已找到")]
    assert resolved[0]["resolved_by"] == staffed.service_teachers[0]


async def set_homework(page: Page, subject: str, minutes: int, text: str) -> None:
    await page.fill("#hw-subject", subject)
    await page.select_option("#hw-kind", "written")
    await page.fill("#hw-minutes", str(minutes))
    await page.fill("#hw-instructions", text)
    await page.click("#homework-form button[type=submit]")


async def test_homework_refused_at_the_cap_with_the_rule_and_the_numbers_shown(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    """HW-2: grade 3's written homework is capped at 60 minutes a day. The room left is read live; 40 minutes fit,
    30 more do not: the page names the rule and shows the cap, what is set and what was asked."""
    sid = staffed.school.school_id
    page = await open_signed_in(phone, running.base, "subject_teacher", sid, staffed.subject_teacher)
    await expect(page.locator("#hw-class")).to_have_value(staffed.class_id)  # from /me/classes
    await expect(page.locator("#hw-on")).to_have_value(DAY)
    room = page.locator("#room")
    await expect(room).to_have_attribute("data-written", "60")
    await expect(room).to_contain_text("当天书面作业还可布置 60 分钟（上限 60）")

    await set_homework(page, "数学", 40, "口算练习第 12 页")
    result = page.locator("#homework-result")
    await expect(result).to_have_attribute("data-state", "created")
    await expect(room).to_have_attribute("data-written", "20")
    await expect(room).to_contain_text("还可布置 20 分钟")

    await set_homework(page, "数学", 30, "应用题两道")
    await expect(result).to_have_attribute("data-state", "refused")
    await expect(result).to_have_attribute("data-rule", "HW-2")
    await expect(result.locator("strong")).to_have_text("作业未能布置")
    await expect(result.locator(".why")).to_have_text("HW-2 每天书面作业总时长不超过上限")
    await expect(result.locator(".numbers")).to_have_text("上限 60 分钟，已布置 40 分钟，本次 30 分钟")
    await expect(room).to_have_attribute("data-written", "20")
    assert await fits(page)

    admin = staffed.admin_token(running.api)
    path = f"/homework/v1/classes/{staffed.class_id}/assignments"
    stored = (await running.api.get("homework", path, admin, **{"from": DAY, "to": DAY})).json()["items"]
    written = [a for a in stored if a["kind"] == "written"]  # the session's reading homework may be set too
    assert [(a["school_subject"], a["counted_minutes"]) for a in written] == [("数学", 40)]


async def test_homework_done_in_the_session_is_recorded_and_graded(
    running: Running, staffed: Staffed, phone: BrowserContext, browser: Browser
) -> None:
    """HW-7: the subject teacher sets the day's reading; in the session the service teacher records, for two children
    present, one finished in 12 minutes and one not finished; the subject teacher sees both results and grades the
    first with feedback (with the keyboard), and homework holds exactly that. Both lists name the children (read
    from enrollment's `/roster` with each teacher's own token), not their ids."""
    sid = staffed.school.school_id
    api, admin = running.api, staffed.admin_token(running.api)
    done, not_done = staffed.children[4], staffed.children[2]  # [3] is the admin board test's arrival
    for child in (done, not_done):
        await present_for_homework(running, staffed, child)

    subject = await open_signed_in(phone, running.base, "subject_teacher", sid, staffed.subject_teacher)
    await expect(subject.locator("#hw-class")).to_have_value(staffed.class_id)  # from /me/classes
    await expect(subject.locator("#hw-subject")).to_have_value("数学")  # what they teach there
    await subject.select_option("#hw-kind", "reading")
    await subject.fill("#hw-minutes", "15")
    await subject.fill("#hw-instructions", "读绘本一本")
    await subject.click("#homework-form button[type=submit]")
    await expect(subject.locator("#homework-result")).to_have_attribute("data-state", "created")
    await expect(subject.locator("#grade-assignment option:checked")).to_have_text("数学 · 读绘本一本")

    other = await another_phone(browser)
    try:
        service = await open_signed_in(other, running.base, "service_teacher", sid, staffed.service_teachers[1])
        rows = service.locator("#inservice li").filter(has_text="读绘本一本")
        first = rows.and_(service.locator(f"[data-student='{done.student_id}']"))
        await expect(first).to_have_attribute("data-status", "not_recorded", timeout=15_000)
        await expect(first.locator("p").first).to_have_text(f"{done.name} · 数学 · 读绘本一本 · 15′")
        await first.get_by_label("实际用时（分钟）").fill("12")
        await first.get_by_role("button", name="记录").click()
        await expect(service.locator("#outcome")).to_have_text(f"已记录 {done.name}：数学")
        await expect(first).to_have_attribute("data-status", "done")
        await expect(first).to_contain_text("已完成，用时 12 分钟")
        second = rows.and_(service.locator(f"[data-student='{not_done.student_id}']"))
        await second.get_by_label("已完成").uncheck()
        await second.get_by_role("button", name="记录").click()
        await expect(second).to_contain_text("未完成，用时 15 分钟")
        await expect(second.locator("p").first).to_have_text(f"{not_done.name} · 数学 · 读绘本一本 · 15′")
        assert await fits(service)
    finally:
        await other.close()

    graded = subject.locator(f"#grading li[data-student='{done.student_id}']")
    await expect(graded.locator("p").first).to_have_text(f"{done.name} · 已完成，用时 12 分钟", timeout=10_000)
    ungraded = subject.locator(f"#grading li[data-student='{not_done.student_id}']")
    await expect(ungraded.locator("p").first).to_have_text(f"{not_done.name} · 未完成，用时 15 分钟")
    await graded.get_by_label("等级").select_option("优")
    await graded.get_by_label("评语").fill("读得很流利")
    await graded.get_by_label("评语").press("Enter")
    await expect(subject.locator("#outcome")).to_have_text(f"已批改 {done.name}")
    await expect(graded).to_have_attribute("data-graded", "yes")
    await expect(graded).to_contain_text("已批改：优 · 读得很流利")
    assert await fits(subject)

    assignment = await subject.locator("#grade-assignment").input_value()
    path = f"/homework/v1/assignments/{assignment}/completions"
    results = (await api.get("homework", path, admin)).json()["items"]
    recorded = {r["student_id"]: (r["done"], r["actual_minutes"], r["grade"], r["graded_by"]) for r in results}
    assert recorded == {
        done.student_id: (True, 12, "优", staffed.subject_teacher),
        not_done.student_id: (False, 15, None, None),
    }


async def test_a_class_teacher_decides_leave_and_hands_a_child_to_an_authorised_adult(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    """AT-3: a guardian's leave request is approved on the page. AT-5, BX-2: the child's pickup list shows each
    person's relation and credential, a restricted person cannot be chosen, the grandmother takes the child."""
    sid = staffed.school.school_id
    api, admin = running.api, staffed.admin_token(running.api)
    on_leave, leaving = staffed.children[1], staffed.children[2]
    guardian = api.token(Role.GUARDIAN, on_leave.guardian_ids[0], school=sid)
    leave = {"student_id": on_leave.student_id, "day": DAY, "reason": "看牙医"}
    await api.post("attendance", "/attendance/v1/leave-requests", leave, guardian, key="web-leave-1")
    added = await api.consumed("attendance", "enrollment.pickup_person_added.v1")
    restricted_before = await api.consumed("attendance", "enrollment.pickup_person_restricted.v1")
    pickups = f"/enrollment/v1/students/{leaving.student_id}/pickups"
    grandma = {"name": "外婆", "relation": "外祖母", "credential_ref": "card-web-grandma"}
    person = (await api.post("enrollment", pickups, grandma, admin, key="web-grandma-s2")).json()["person_id"]
    banned = {"name": "张某", "relation": "其他", "credential_ref": "card-web-banned", "note": "法院禁令"}
    restrictions = f"/enrollment/v1/students/{leaving.student_id}/restricted-persons"
    await api.post("enrollment", restrictions, banned, admin, key="web-banned-s2")
    await api.wait_consumed("attendance", "enrollment.pickup_person_added.v1", int(added) + 1)
    await api.wait_consumed("attendance", "enrollment.pickup_person_restricted.v1", int(restricted_before) + 1)

    page = await open_signed_in(phone, running.base, "class_teacher", sid, staffed.class_teacher)
    await expect(page.locator("#class-id")).to_have_value(staffed.class_id)  # their one class, from /me/classes
    row = page.locator(f"#leaves li[data-student='{on_leave.student_id}']")
    await expect(row).to_contain_text(f"{on_leave.name} ({on_leave.student_id}) · {DAY} · 看牙医")
    await row.get_by_role("button", name="批准").click()
    await expect(page.locator("#outcome")).to_have_text(f"已批准 {on_leave.name} ({on_leave.student_id}) 的请假")
    await expect(row).to_have_count(0)
    leaves = (await api.get("attendance", "/attendance/v1/leave-requests", admin, status="approved")).json()["items"]
    assert [(x["student_id"], x["decided_by"]) for x in leaves] == [(on_leave.student_id, staffed.class_teacher)]

    await page.select_option("#checkout-child", leaving.student_id)
    people = page.locator("#pickups li")
    grandma_row = page.locator(f"#pickups li[data-person='{person}']")
    await expect(grandma_row).to_contain_text("外婆 · 关系: 外祖母")
    await expect(grandma_row).to_contain_text("接送凭证: card-web-grandma")
    restricted = people.filter(has_text="张某")
    await expect(restricted).to_contain_text("监护限制")
    await expect(restricted.get_by_role("button")).to_have_count(0)
    await grandma_row.get_by_role("button", name="交给外婆").click()
    await expect(page.locator("#outcome")).to_have_text(f"{leaving.name} ({leaving.student_id}) 已交给外婆（外祖母）")
    assert await fits(page)
    outs = (await api.get("attendance", "/attendance/v1/check-outs", admin, date=DAY)).json()["items"]
    mine = [(o["student_id"], o["person_id"], o["handled_by"]) for o in outs if o["school_id"] == sid]
    assert [m[:2] for m in mine] == [(leaving.student_id, person)]


async def test_a_class_teacher_follows_up_an_absence_case(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    """AT-3: ten minutes after the session's start (14:50) every expected child not checked in has a case; the class
    teacher resolves one on the page with what they found, and it leaves the list."""
    sid = staffed.school.school_id
    child = staffed.children[5]
    page = await open_signed_in(phone, running.base, "class_teacher", sid, staffed.class_teacher)
    await expect(page.locator("#class-id")).to_have_value(staffed.class_id)  # their one class, from /me/classes
    case = page.locator("#absences li").filter(has_text=f"{child.name} ({child.student_id})")
    await expect(case).to_contain_text(staffed.session_id, timeout=30_000)  # once the timer has fired
    await case.get_by_label("处理说明").fill("已联系家长：孩子生病在家")
    await case.get_by_role("button", name="处理完毕").click()
    await expect(page.locator("#outcome")).to_have_text("缺勤已处理")
    await expect(case).to_have_count(0)
    assert await fits(page)
    admin = staffed.admin_token(running.api)
    resolved = (await running.api.get("attendance", "/attendance/v1/absences", admin, status="resolved")).json()
    assert [(c["student_id"], c["note"], c["resolved_by"]) for c in resolved["items"]] == [
        (child.student_id, "已联系家长：孩子生病在家", staffed.class_teacher)
    ]
