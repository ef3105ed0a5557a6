"""`bin/demo`: seeds a district, replays an afternoon, then either prints a guide whose every command works when
copied (run here against the running demo) or, with `--exit`, a summary of what it did.

The district is smaller than the demo's own (same code, fewer children) to keep the tests to seconds."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import httpx
import pytest

from afterschool.demo import run_demo
from afterschool.district import District, build_district
from chassis.clock import SteadyClock
from tests.conftest import SCHOOL_AFTERNOON
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]

SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")


def small_district() -> District:
    return build_district(schools=1, grades=2, classes_per_grade=1, per_class=10)


async def test_exit_prints_what_was_seeded_and_done_and_no_guide(tmp_path: Path) -> None:
    out = io.StringIO()
    clock = SteadyClock(SCHOOL_AFTERNOON)
    code = await run_demo(
        tmp_path / "demo", host="127.0.0.1", port=free_port(), keep_serving=False, clock=clock,
        district=small_district(), out=out,
    )  # fmt: skip
    assert code == 0
    text = out.getvalue()
    assert "seeded 1 schools, 20 children" in text
    assert "Afternoon of 2026-11-24:" in text  # the school day before the pinned Wednesday
    assert "The server has stopped (--exit)" in text
    assert "curl" not in text
    assert "Bearer" not in text
    assert {p.name for p in (tmp_path / "demo").glob("*.db")} == {f"{name}.db" for name in SERVICES}


async def run(command: str) -> tuple[int, str, str]:
    shell = await asyncio.create_subprocess_exec(
        "bash", "-c", command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(shell.communicate(), 30)
    assert shell.returncode is not None
    return shell.returncode, stdout.decode(), stderr.decode()


async def test_every_command_the_guide_prints_works_when_copied(tmp_path: Path) -> None:
    out = io.StringIO()
    ran: dict[str, tuple[int, str, str]] = {}
    streamed: list[str] = []

    async def use_the_demo() -> None:
        lines = out.getvalue().splitlines()
        printed = [line for line in lines if line.startswith("curl ")]
        stream = next(c for c in printed if "/stream" in c)
        docs = next(line for line in lines if line.startswith("Open ")).split()[1]
        async with httpx.AsyncClient(base_url=docs.split("/attendance/")[0]) as client:
            page = await client.get(docs)
            assert page.status_code == 200
            assert "://" not in page.text  # no external host: every asset below comes from the demo itself
            assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
            assert {a.rsplit("/", 1)[-1] for a in assets} == {"swagger-ui.css", "favicon.png", "swagger-ui-bundle.js"}
            for asset in assets:
                assert asset.startswith("/attendance/"), asset
                assert (await client.get(asset)).status_code == 200, asset
            assert "SwaggerUIBundle" in page.text
        live = await asyncio.create_subprocess_exec("bash", "-c", stream, stdout=asyncio.subprocess.PIPE)
        try:
            assert live.stdout is not None
            async with asyncio.timeout(10):  # subscribed before the check-in below is posted
                while not streamed or streamed[-1] != ": connected\n":
                    streamed.append((await live.stdout.readline()).decode())
            for command in printed:
                if command != stream:
                    ran[command] = await run(command)
            async with asyncio.timeout(20):
                while not any(line.startswith("data:") for line in streamed):
                    streamed.append((await live.stdout.readline()).decode())
        finally:
            live.terminate()
            await live.wait()

    code = await run_demo(
        tmp_path / "demo", host="127.0.0.1", port=free_port(), keep_serving=True,
        clock=SteadyClock(SCHOOL_AFTERNOON), district=small_district(), out=out, while_serving=use_the_demo,
    )  # fmt: skip
    assert code == 0
    assert len(ran) == 4
    for command, (status, stdout, stderr) in ran.items():
        assert status == 0, f"{command}\n→ {status}: {stderr}"
        assert stdout.strip(), command
    check_in = next(stdout for command, (_, stdout, _) in ran.items() if "/check-ins" in command)
    posted = json.loads(check_in)
    assert posted["device_id"].endswith("-kiosk-gate")
    # the live stream carried the guardian's alert of that very check-in
    event = json.loads(next(line for line in streamed if line.startswith("data:"))[len("data:") :])
    assert posted["student_id"] in json.dumps(event)
    alerts = next(stdout for command, (_, stdout, _) in ran.items() if "/notifications -H" in command)
    assert json.loads(alerts)["items"]
