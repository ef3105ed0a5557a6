"""In a real browser (Debian's chromium, headless): a kiosk scan reaches the guardian's open page live, and a kiosk
that scans offline uploads exactly what it saw once it reconnects, however often the upload is retried (AT-8)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest
from playwright.async_api import Browser, BrowserContext, Route, expect

from chassis.auth import Role
from tests.conftest import SCHOOL_AFTERNOON
from tests.web.conftest import Running, every_item, fits, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DAY = SCHOOL_AFTERNOON.date().isoformat()
OFFLINE_SCANS = 20
CHECKED_IN = "attendance.student_checked_in.v1"


async def check_ins(running: Running, device: str) -> Counter[str]:
    """How many check-ins attendance stored for each child from one device today (read through its API)."""
    items = await every_item(running, "attendance", "/attendance/v2/check-ins", running.admin_token(), date=DAY)
    return Counter(c["student_id"] for c in items if c["device_id"] == device)


async def test_a_kiosk_scan_appears_on_the_guardians_open_page_within_two_seconds(
    running: Running, phone: BrowserContext, browser: Browser
) -> None:
    school = running.district.schools[0]
    child = school.students[0]
    guardian = await open_signed_in(phone, running.base, "guardian", school.school_id, child.guardian_ids[0])
    await expect(guardian.locator("#children li")).to_have_text([child.name])
    await expect(guardian.locator("body")).to_have_attribute("data-stream", "live")
    assert await fits(guardian)

    # The kiosk is another device: a tablet at the gate, with its own browser profile.
    kiosk_context = await browser.new_context(viewport={"width": 800, "height": 1280}, timezone_id="Asia/Shanghai")
    try:
        kiosk = await open_signed_in(kiosk_context, running.base, "kiosk", school.school_id, school.kiosks[0])
        await kiosk.fill("#scan", child.student_id)
        pressed = time.monotonic()
        await kiosk.press("#scan", "Enter")  # as a keyboard-wedge scanner ends its code
        alert = guardian.locator(f"#alerts li[data-student='{child.student_id}'][data-event='{CHECKED_IN}']")
        await expect(alert).to_be_visible(timeout=2000)
        seconds = time.monotonic() - pressed
        await expect(kiosk.locator("#result")).to_have_attribute("data-state", "created")
        await expect(kiosk.locator("#pending")).to_have_text("0")
    finally:
        await kiosk_context.close()
    assert seconds < 2.0
    print(f"scan → guardian's alert on screen: {seconds:.2f}s")
    assert await check_ins(running, school.kiosks[0]) == Counter({child.student_id: 1})


async def test_an_offline_kiosk_uploads_exactly_what_it_scanned_once_reconnected(
    running: Running, phone: BrowserContext
) -> None:
    school = running.district.schools[0]
    device = school.kiosks[1]
    children = [s.student_id for s in school.students[1 : 1 + OFFLINE_SCANS]]
    kiosk = await open_signed_in(phone, running.base, "kiosk", school.school_id, device)
    assert await fits(kiosk)

    await phone.set_offline(True)
    await expect(kiosk.locator("body")).to_have_attribute("data-network", "offline")
    for n, student_id in enumerate(children, 1):
        await kiosk.fill("#scan", student_id)
        await kiosk.press("#scan", "Enter")
        await expect(kiosk.locator("#pending")).to_have_text(str(n))
    await expect(kiosk.locator("#result")).to_have_attribute("data-state", "queued")
    assert await check_ins(running, device) == Counter()

    # The first upload after reconnecting reaches the service but its answer is lost on the way back: the kiosk
    # keeps its queue and uploads it again, with the same Idempotency-Key.
    lost: list[int] = []

    async def lose_first_answer(route: Route) -> None:
        if not lost:
            answer = await route.fetch()
            lost.append(answer.status)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await kiosk.route("**/attendance/v1/check-ins/batch", lose_first_answer)
    await phone.set_offline(False)
    await expect(kiosk.locator("#pending")).to_have_text("0", timeout=15_000)
    assert lost == [200]
    await asyncio.sleep(4)  # one more retry period of the kiosk: anything doubled would be stored now
    stored = await check_ins(running, device)
    assert stored == Counter(dict.fromkeys(children, 1))
    assert sum(stored.values()) == OFFLINE_SCANS


async def test_a_kiosk_checks_in_by_a_tapped_name_and_refuses_a_card_it_does_not_know(
    running: Running, phone: BrowserContext
) -> None:
    school = running.district.schools[0]
    device = school.kiosks[2]
    child = school.students[-1]
    kiosk = await open_signed_in(phone, running.base, "kiosk", school.school_id, device)
    names = kiosk.locator("#roster button")
    await expect(names).to_have_count(len(school.students))

    await kiosk.locator(f"#roster button[data-student='{child.student_id}']").click()
    result = kiosk.locator("#result")
    await expect(result).to_have_attribute("data-state", "created")
    await expect(result.locator(".who")).to_have_text(f"{child.name} ({child.student_id})")

    await kiosk.fill("#scan", "no-such-card")
    await kiosk.press("#scan", "Enter")
    await expect(result).to_have_attribute("data-state", "refused")
    await expect(result.locator("strong")).to_have_text("签到被拒绝")
    await expect(result.locator(".why")).to_contain_text("AT-2")
    await expect(kiosk.locator("#pending")).to_have_text("0")
    assert await fits(kiosk)
    assert await check_ins(running, device) == Counter({child.student_id: 1})


async def test_a_kiosk_hands_a_child_only_to_an_authorised_adult(running: Running, phone: BrowserContext) -> None:
    """AT-5, BX-2: the child's card, then the adult's: a restricted person and a stranger are refused, each with
    why; the authorised adult takes the child, once."""
    school = running.district.schools[0]
    child = school.students[22]
    admin = running.admin_token()
    pickups = f"/enrollment/v1/students/{child.student_id}/pickups"
    grandma = {"name": "外婆", "relation": "外祖母", "credential_ref": "card-grandma-22"}
    await running.api.post("enrollment", pickups, grandma, admin, key="web-grandma-22")
    banned = {"name": "某某", "relation": "生父", "note": "法院裁定 (2026) 京01民终1号"}
    banned["credential_ref"] = "card-banned-22"
    restricted = f"/enrollment/v1/students/{child.student_id}/restricted-persons"
    await running.api.post("enrollment", restricted, banned, admin, key="web-banned-22")
    await running.api.wait_consumed("attendance", "enrollment.pickup_person_added.v1", 1)
    await running.api.wait_consumed("attendance", "enrollment.pickup_person_restricted.v1", 1)

    device = f"{school.school_id}-kiosk-out"
    kiosk = await open_signed_in(phone, running.base, "kiosk", school.school_id, device)
    await kiosk.get_by_label("签退").check()
    result = kiosk.locator("#result")

    async def collect(card: str) -> None:
        await kiosk.fill("#scan", child.student_id)
        await kiosk.press("#scan", "Enter")
        await expect(kiosk.locator("#step")).to_contain_text(child.name)
        await kiosk.fill("#scan", card)
        await kiosk.press("#scan", "Enter")

    await collect("card-banned-22")
    await expect(result).to_have_attribute("data-reason", "restricted")
    await expect(result.locator("strong")).to_have_text("签退被拒绝")
    await expect(result.locator(".why")).to_contain_text("监护限制")
    await collect("card-nobody")
    await expect(result).to_have_attribute("data-reason", "not_authorised")
    await expect(result.locator(".why")).to_contain_text("授权接送名单")
    await collect("card-grandma-22")
    await expect(result).to_have_attribute("data-state", "created")
    await expect(result.locator("strong")).to_have_text("签退成功")

    await phone.set_offline(True)  # offline, no adult can be verified: the kiosk sends them to staff, records nothing
    await collect("card-grandma-22")
    await expect(result.locator(".why")).to_contain_text("离线时无法核验接送人")
    await phone.set_offline(False)

    day = SCHOOL_AFTERNOON.date().isoformat()
    outs = (await running.api.get("attendance", "/attendance/v1/check-outs", admin, date=day)).json()["items"]
    mine = [o for o in outs if o["student_id"] == child.student_id]
    assert [(o["device_id"], o["person_id"] is not None) for o in mine] == [(device, True)]


async def test_an_early_dismissal_reaches_the_guardians_open_page_marked_urgent(
    running: Running, phone: BrowserContext
) -> None:
    """AT-7: the school's broadcast arrives live on the guardian's page, urgent and saying so."""
    school = running.district.schools[0]
    child = school.students[23]
    guardian = await open_signed_in(phone, running.base, "guardian", school.school_id, child.guardian_ids[0])
    await expect(guardian.locator("body")).to_have_attribute("data-stream", "live")
    dismiss_at = (SCHOOL_AFTERNOON + timedelta(hours=1)).isoformat()
    body = {"reason": "weather", "dismiss_at": dismiss_at, "grades": [1]}
    await running.api.post(
        "attendance", "/attendance/v1/emergency/broadcasts", body, running.admin_token(), key="web-1"
    )
    alert = guardian.locator("#alerts li.urgent[data-event='attendance.emergency_broadcast.v1']")
    await expect(alert).to_be_visible(timeout=5000)
    await expect(alert.locator("strong")).to_have_text("紧急 · 提前放学通知")
    await expect(alert.locator("p")).to_contain_text("16:00")


async def test_a_kiosk_reloaded_while_offline_still_opens_and_queues(running: Running, phone: BrowserContext) -> None:
    """The service worker keeps the kiosk page: reloaded offline it opens, queues a scan and uploads it later."""
    school = running.district.schools[0]
    device = f"{school.school_id}-kiosk-restarted"
    child = school.students[20]
    kiosk = await open_signed_in(phone, running.base, "kiosk", school.school_id, device)
    ready = "Promise.race([navigator.serviceWorker.ready.then(() => 1), new Promise(r => setTimeout(r, 9e3, 0))])"
    assert await kiosk.evaluate(ready), "no service worker took the kiosk page"
    await kiosk.reload()  # now under the worker's control
    await expect(kiosk.locator("#roster button")).to_have_count(len(school.students))

    await phone.set_offline(True)
    await kiosk.reload()
    await expect(kiosk.locator("body")).to_have_attribute("data-network", "offline")
    await expect(kiosk.locator("#roster button")).to_have_count(len(school.students))  # the roster it kept
    await kiosk.locator(f"#roster button[data-student='{child.student_id}']").click()
    await expect(kiosk.locator("#pending")).to_have_text("1")
    await phone.set_offline(False)
    await expect(kiosk.locator("#pending")).to_have_text("0", timeout=15_000)
    assert await check_ins(running, device) == Counter({child.student_id: 1})


async def test_a_guardian_page_that_lost_its_stream_gets_what_it_missed_once(
    running: Running, phone: BrowserContext
) -> None:
    """The phone goes offline and a check-in happens meanwhile: back online, the page shows it, once, whether it
    had nothing live to resume from yet (it reads the list again) or resumes the stream with Last-Event-ID."""
    school = running.district.schools[0]
    child = school.students[19]
    device = f"{school.school_id}-kiosk-resume"
    token = running.api.token(Role.KIOSK, device, school=school.school_id)
    guardian = await open_signed_in(phone, running.base, "guardian", school.school_id, child.guardian_ids[0])
    body = guardian.locator("body")
    alerts = guardian.locator(f"#alerts li[data-student='{child.student_id}'][data-event='{CHECKED_IN}']")

    async def check_in(minute: int) -> None:
        handled = await running.api.consumed("notify", CHECKED_IN)
        at = (SCHOOL_AFTERNOON + timedelta(minutes=minute)).isoformat()
        post = {"student_id": child.student_id, "occurred_at": at, "method": "card", "device_id": device}
        await running.api.post("attendance", "/attendance/v1/check-ins", post, token, key=f"{device}-{minute}")
        await running.api.wait_consumed("notify", CHECKED_IN, int(handled) + 1)

    async def missed_while_offline(minute: int, shown: int) -> None:
        await phone.set_offline(True)
        await expect(body).to_have_attribute("data-stream", "down")
        await check_in(minute)
        await expect(alerts).to_have_count(before + shown - 1)
        await phone.set_offline(False)
        await expect(alerts).to_have_count(before + shown, timeout=20_000)
        await expect(body).to_have_attribute("data-stream", "live")

    await expect(body).to_have_attribute("data-stream", "live")  # the list is read before the stream opens
    before = await alerts.count()  # other tests may have checked this child in already
    await missed_while_offline(0, 1)  # nothing live yet: the list is read again
    await check_in(1)  # live: from now on the page has a Last-Event-ID
    await expect(alerts).to_have_count(before + 2)
    await missed_while_offline(2, 3)  # resumed from the last event it saw
    await asyncio.sleep(1)  # anything doubled would be on screen now
    await expect(alerts).to_have_count(before + 3)
