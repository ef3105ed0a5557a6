"""`afterschool up`: all five services in one process on one port, SQLite files, the in-process bus."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import SCHOOL_AFTERNOON, eventually
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")


async def test_afterschool_up_serves_all_five_services_on_one_port(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "afterschool",
        "up",
        "--port",
        str(port),
        "--data",
        str(tmp_path / "data"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, **{f"{name.upper()}_CLOCK_START": SCHOOL_AFTERNOON.isoformat() for name in SERVICES}},
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await eventually(lambda: _answers(client, "/readyz"), timeout=60)
            ready = (await client.get("/readyz")).json()
            assert set(ready["checks"]) == set(SERVICES)
            for service in ready["checks"]:
                assert (await client.get(f"/{service}/openapi.json")).status_code == 200
            assert "afterschool_http_requests_total" in (await client.get("/metrics")).text
    finally:
        server.terminate()
        await server.wait()
    assert {p.name for p in (tmp_path / "data").glob("*.db")} == {f"{name}.db" for name in SERVICES}


async def _answers(client: httpx.AsyncClient, path: str) -> bool:
    try:
        return (await client.get(path)).status_code == 200
    except httpx.HTTPError:
        return False
