"""`bin/demo`: seeds a district, lives an afternoon of last month and closes that month, then either prints a guide
whose every command works when copied (run here against the running demo) or, with `--exit`, a summary of what it
did, with the month's totals.

The district is smaller than the demo's own (same code, fewer children) to keep the tests to seconds. The month's
totals are checked against a calculation made here from the facts attendance stored (its SQLite file): when each
child came and was collected, and how each teacher signed in and filed the record."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
from datetime import datetime, timedelta
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
# The demo month's settings, as the demo enters them: the base service 15:40 (07:40 UTC) for 2 class-hours of
# 40 min (EN-5), 230 fen per class-hour with at most 2 charged a day (EN-7), and the policy's default base stipend
# of 4,000 fen per class-hour (ST-2).
STARTS_UTC, CLASS_HOURS, MINUTES = timedelta(hours=7, minutes=40), 2, 40
FEN_PER_CLASS_HOUR, DAILY_CAP, STIPEND_FEN = 230, 2, 4000


def stored(path: Path, month: str) -> tuple[dict[str, int], dict[str, int]]:
    """(each child's due fen, each teacher's payable fen) for `month` (YYYY-MM), computed from attendance's stored
    facts: SR-1 (a slot counts when the child was there for at least half of it), EN-7's cap, ST-1 (an on-time
    teacher with a complete record earns 1 unit, an incomplete one 0.5), ST-2 (a unit is class-hours × the base
    stipend)."""
    with sqlite3.connect(path / "attendance.db") as db:
        of_month = (f"{month}-%",)
        came = dict(db.execute("SELECT student_id, occurred_at FROM check_ins WHERE session_date LIKE ?", of_month))
        left = dict(db.execute("SELECT student_id, occurred_at FROM check_outs WHERE day LIKE ?", of_month))
        signed = dict(db.execute("SELECT staff_id, status FROM teacher_sign_ins WHERE day LIKE ?", of_month))
        records = dict(db.execute("SELECT staff_id, complete FROM activity_records WHERE day LIKE ?", of_month))
    due = {}
    for child, arrived in came.items():
        there_from, there_to = datetime.fromisoformat(arrived), datetime.fromisoformat(left[child])
        day = datetime.combine(there_from.date(), datetime.min.time()) + STARTS_UTC
        slots = 0
        for n in range(CLASS_HOURS):
            start = day + timedelta(minutes=MINUTES * n)
            overlap = min(start + timedelta(minutes=MINUTES), there_to) - max(start, there_from)
            slots += overlap * 2 >= timedelta(minutes=MINUTES)
        due[child] = min(slots, DAILY_CAP) * FEN_PER_CLASS_HOUR
    assert set(signed.values()) == {"on_time"}
    pay = {t: (100 if records[t] else 50) * CLASS_HOURS * STIPEND_FEN // 100 for t in signed}
    return due, pay


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


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
    assert "Afternoon of 2026-10-30:" in text  # the last school day of the month before the pinned Wednesday's
    due, pay = stored(tmp_path / "demo", "2026-10")
    assert due
    assert all(due.values())
    assert all(fen == CLASS_HOURS * STIPEND_FEN for fen in pay.values())  # complete records: 1 unit each
    assert f"{yuan(sum(pay.values()))} for {len(pay)} teachers published on their 2026-10 statements" in text
    assert f"{len(due)}\n  family statements issued, {yuan(sum(due.values()))} due in all" in text
    assert "The server has stopped (--exit)" in text
    assert "curl" not in text
    assert "Bearer" not in text
    assert {p.name for p in (tmp_path / "demo").glob("*.db")} == {f"{name}.db" for name in SERVICES}


async def run(command: str) -> tuple[int, str, str]:
    shell = await asyncio.create_subprocess_exec(
        "bash", "-c", command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        stdout, stderr = await shell.communicate()
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
            # the people's pages the guide names, and the demo people the sign-in offers are real (issue 12)
            pages = re.findall(r"http://[\w.:]+(/app/\w+)", out.getvalue())
            assert set(pages) == {
                "/app/signin",
                "/app/kiosk",
                "/app/guardian",
                "/app/teacher",
                "/app/admin",
                "/app/district",
            }
            for path in pages:
                assert (await client.get(path)).status_code == 200, path
            signin = (await client.get("/app/signin")).text
            people = re.findall(r'data-role="(\w+)" data-school="([^"]+)"\s+data-subject="([^"]+)"', signin)
            assert ("kiosk", "s1", "s1-kiosk-gate") in people
            offered = {role for role, _, _ in people}
            assert {
                "service_teacher",
                "class_teacher",
                "subject_teacher",
                "school_admin",
                "district_operator",
            } <= offered
            role, school, subject = next(p for p in people if p[0] == "guardian")
            body = {"role": role, "school_id": school, "subject": subject}
            token = (await client.post("/app/signin/token", json=body)).json()["token"]
            children = await client.get("/enrollment/v1/me/children", headers={"Authorization": f"Bearer {token}"})
            assert children.json()["items"], "the demo guardian the sign-in offers has children"
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
    assert len(ran) == 7
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
    due, pay = stored(tmp_path / "demo", "2026-10")
    month = re.compile(r"/teacher-statements/\d{4}-\d{2} ")
    published = json.loads(next(out for command, (_, out, _) in ran.items() if month.search(command)))
    assert published["status"] == "published"
    assert {t["staff_id"]: t["payable_fen"] for t in published["teachers"]} == pay
    teacher = json.loads(next(out for command, (_, out, _) in ran.items() if "/teachers/" in command))
    assert teacher["payable_fen"] == pay[teacher["staff_id"]] > 0
    assert teacher["status"] == "published"
    assert teacher["entries"]
    assert all(e["event_ids"] for e in teacher["entries"])
    family = json.loads(next(out for command, (_, out, _) in ran.items() if "/family-statements/" in command))
    assert family["month"] == "2026-10"
    assert family["issued"]["due_fen"] == family["due_fen"] == due[family["student_id"]] > 0
