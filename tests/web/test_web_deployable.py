"""`afterschool serve web`: the web component as its own deployable, without the services."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


async def test_the_web_deployable_serves_its_pages_on_its_own(tmp_path: Path) -> None:
    """`afterschool serve web`: the pages without the services (production by default: no development sign-in)."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "afterschool", "serve", "web", "--port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=(tmp_path / "web.log").open("wb"),
        env={k: v for k, v in os.environ.items() if not k.startswith("WEB_")},
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await eventually(lambda: answers(client, "/readyz"), timeout=30)
            assert (await client.get("/app/kiosk")).status_code == 200
            assert (await client.get("/app/signin")).status_code == 403
    finally:
        server.terminate()
        await server.wait()


async def answers(client: httpx.AsyncClient, path: str) -> bool:
    try:
        return (await client.get(path)).status_code == 200
    except httpx.HTTPError:
        return False
