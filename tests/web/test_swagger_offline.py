"""Issue 12: every service's Swagger UI renders in a browser that can reach nothing but the all-in-one (its assets
are served locally by fastapi-offline, not from a CDN)."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Route, expect

from tests.e2e.processes import SERVICES
from tests.web.conftest import Running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


async def test_every_services_swagger_ui_renders_with_no_internet(running: Running, phone: BrowserContext) -> None:
    elsewhere: list[str] = []

    async def only_here(route: Route) -> None:
        if route.request.url.startswith(running.base):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await phone.route("**/*", only_here)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for service in SERVICES:
        await page.goto(f"{running.base}/{service}/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(service, ignore_case=True)
        await expect(page.locator(".opblock").first).to_be_visible()
    assert elsewhere == []
    assert errors == []
