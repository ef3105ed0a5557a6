"""`python -m tests.web.screenshots [folder]`: the pages at 360 px wide, in the states people see, as PNG files
(docs/screenshots by default, linked from the README), taken in Debian's chromium against the all-in-one."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.web.conftest import PHONE, Running, all_in_one, chromium, open_signed_in


async def take(folder: Path) -> list[Path]:
    """Both languages' screenshots; the files written."""
    with tempfile.TemporaryDirectory() as scratch:
        async with all_in_one(Path(scratch)) as world, chromium() as browser:
            return [shot for lang in ("zh-CN", "en") for shot in await take_in(browser, world, folder, lang)]


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
