"""The district operator's page in a real browser against the all-in-one: each school's numbers from attendance's
district board stream (BX-6), the month's roll-up per school downloaded with the keyboard, the Grafana links'
place, at 360 px and with no serious accessibility violation in either language."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from chassis.auth import Role
from tests.web.conftest import Running, Staffed, fits, open_signed_in
from tests.web.test_accessibility import serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_the_district_operator_sees_each_schools_numbers_and_downloads_the_months_roll_up(
    running: Running, staffed: Staffed, phone: BrowserContext
) -> None:
    district = running.district.district_id
    page = await open_signed_in(phone, running.base, "district_operator", district, "operator-web")
    await expect(page.locator("#board-live")).to_have_text("实时连接中", timeout=15_000)
    sid = staffed.school.school_id
    row = page.locator(f"#schools tr[data-school='{sid}']")
    await expect(row.locator("td[data-count='sessions']")).to_have_text("1")
    await expect(row.locator("td[data-count='expected']")).to_have_text(str(len(staffed.children)))

    # What the page shows is attendance's district board, school by school.
    operator = running.api.token(Role.DISTRICT_OPERATOR, "operator-web", district=district)
    board = (await running.api.get("attendance", "/attendance/v1/board/district", operator)).json()
    shown = {
        school: [
            await page.locator(f"#schools tr[data-school='{school}'] td[data-count='{n}']").inner_text()
            for n in ("expected", "missing", "collected")
        ]
        for school in (s["school_id"] for s in board["schools"])
    }
    assert shown == {
        s["school_id"]: [str(s["totals"][n]) for n in ("expected", "missing", "collected")] for s in board["schools"]
    }
    assert sid in shown
    await expect(page.locator("#main")).to_contain_text("未配置 Grafana 地址")  # the all-in-one has no Grafana

    await page.fill("#rollup-month", "2026-10")
    await page.focus("button.download[data-format='csv']")  # with the keyboard: focus, then Enter
    async with page.expect_download() as waiting:
        await page.keyboard.press("Enter")
    download = await waiting.value
    assert download.suggested_filename == "district-2026-10.csv"
    text = (await asyncio.to_thread(Path(await download.path()).read_bytes)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sid in {r["school_id"] for r in rows}
    assert {r["district_id"] for r in rows} == {district}
    assert await fits(page)
    for lang in ("zh-CN", "en"):
        await page.goto(f"{running.base}/app/district?lang={lang}")
        await expect(row).to_be_visible(timeout=15_000)
        assert await serious_violations(page) == []
