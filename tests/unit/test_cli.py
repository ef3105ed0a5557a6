"""The `afterschool` command: development tokens that the services accept, a busy port, clean JSON logs, and
the demo's progress and guide."""

from __future__ import annotations

import io
import json
import logging
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from afterschool.guide import Look, commands, guide
from afterschool.progress import BAR_WIDTH, Progress
from chassis.auth import Principal, Role, TokenVerifier
from chassis.logs import JsonFormatter
from chassis.settings import ServiceSettings
from tests.conftest import SCHOOL_AFTERNOON

pytestmark = pytest.mark.unit


def mint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "afterschool", "token", *args], capture_output=True, text=True)


async def test_afterschool_token_mints_what_a_service_accepts() -> None:
    minted = mint("--role", "kiosk", "--school", "s1", "--subject", "s1-kiosk-gate")
    assert minted.returncode == 0
    principal = await TokenVerifier(ServiceSettings(environment="development")).verify(minted.stdout.strip())
    assert principal == Principal("s1-kiosk-gate", Role.KIOSK, "s1", None)


def test_a_school_bound_role_needs_a_school() -> None:
    refused = mint("--role", "guardian", "--subject", "mum")
    assert refused.returncode == 2
    assert "--school is required" in refused.stderr


@pytest.mark.parametrize("command", [["demo", "--exit"], ["up"]])
def test_a_busy_port_is_one_line_that_suggests_another(command: list[str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run(
            [sys.executable, "-m", "afterschool", *command, "--port", str(port), "--data", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert ran.returncode == 2
    assert ran.stderr.count("\n") == 1, ran.stderr
    assert f"127.0.0.1:{port} is in use" in ran.stderr
    assert f"--port {port + 1}" in ran.stderr
    assert not (tmp_path / "data").exists()  # said before anything was started


def test_uvicorns_log_records_become_json_without_ansi_colours() -> None:
    """uvicorn logs its messages with `extra={"color_message": ...}`, the same text with ANSI escapes."""
    record = logging.getLogger("uvicorn.error").makeRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        "Uvicorn running on %s",
        ("http://127.0.0.1:8000",),
        None,
        extra={"color_message": "Uvicorn running on \x1b[1m%s\x1b[0m"},
    )
    line = JsonFormatter().format(record)
    assert "\x1b" not in line
    entry = json.loads(line)
    assert entry["message"] == "Uvicorn running on http://127.0.0.1:8000"
    assert set(entry) == {"time", "level", "logger", "message"}


def test_seeding_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    screen, log = io.StringIO(), io.StringIO()
    for out, tty in ((screen, True), (log, False)):
        progress = Progress(out, 30, title="seeding", tty=tty)
        progress.phase("children", 20)
        progress.advance(20)
        progress.phase("guardians", 10)
        progress.advance(10)
        progress.finish("seeded")
    assert "\r" in screen.getvalue()
    assert "seeding [" + "█" * BAR_WIDTH + "] 100%  guardians 10/10" in screen.getvalue()  # in an 80-column terminal
    children, guardians, closing = log.getvalue().splitlines()
    assert children.startswith("  children: 20 in ")
    assert guardians.startswith("  guardians: 10 in ")
    assert closing == "seeded"
    assert "\r" not in log.getvalue()
    assert "\x1b" not in log.getvalue()


def test_every_command_of_the_guide_is_one_line_and_the_check_in_is_valid_json() -> None:
    look = Look(
        base="http://127.0.0.1:8000",
        month="2026-11",
        school_id="s1",
        student_id="s1-g1-c1-01",
        child_name="王小明",
        device_id="s1-kiosk-gate",
        teacher_id="s1-teacher-1",
        guardian_token="g.t.s",
        kiosk_token="k.t.s",
        admin_token="a.t.s",
        teacher_token="t.t.s",
        now=SCHOOL_AFTERNOON,
    )
    for _, command in commands(look):
        assert "\n" not in command
        assert "\\" not in command  # no line continuation to break when copied
    check_in = next(c for _, c in commands(look) if "/check-ins" in c)
    words = shlex.split(check_in)
    body = json.loads(words[words.index("-d") + 1])
    assert body == {
        "student_id": "s1-g1-c1-01",
        "device_id": "s1-kiosk-gate",
        "method": "card",
        "occurred_at": "2026-11-25T15:00:00+08:00",
    }
    assert " open " not in guide(look)  # macOS only: the guide names the page instead
    assert "Open http://127.0.0.1:8000/attendance/docs in a browser" in guide(look)
