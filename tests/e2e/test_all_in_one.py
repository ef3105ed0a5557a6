"""`afterschool up`: all five services in one process on one port, SQLite files, the in-process bus."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import SERVICES, embedded

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


async def test_afterschool_up_serves_all_five_services_on_one_port(tmp_path: Path) -> None:
    async with embedded(tmp_path) as base, httpx.AsyncClient(base_url=base) as client:
        ready = (await client.get("/readyz")).json()
        assert set(ready["checks"]) == set(SERVICES)
        for service in ready["checks"]:
            assert (await client.get(f"/{service}/openapi.json")).status_code == 200
        assert "afterschool_http_requests_total" in (await client.get("/metrics")).text
    assert {p.name for p in (tmp_path / "data").glob("*.db")} == {f"{name}.db" for name in SERVICES}
