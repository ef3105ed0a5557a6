"""What the demo prints: a guide to the running demo (tokens, the page to open, commands that work when
copied), or, with `--exit`, a summary of what was seeded and done."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from afterschool.month import Closed
from chassis.clock import SCHOOL_TZ


@dataclass(frozen=True)
class Done:
    """What the demo seeded and did, for the summary."""

    schools: int
    children: int
    guardians: int
    seed_seconds: float
    day: str
    check_ins: int
    alerts: int
    replay_seconds: float
    closed: Closed


@dataclass(frozen=True)
class Look:
    """What the guide points at: the server, tokens and the child whose check-in it shows."""

    base: str
    month: str
    school_id: str
    student_id: str
    child_name: str
    device_id: str
    teacher_id: str
    guardian_token: str
    kiosk_token: str
    admin_token: str
    teacher_token: str
    now: datetime


def summary(done: Done, data: Path) -> str:
    """The `--exit` summary: the server has stopped, so it says what happened rather than how to look."""
    c = done.closed
    return f"""
Demo district: {done.schools} schools, {done.children} children, {done.guardians} guardians, registered through
  enrollment's API in {done.seed_seconds:.1f}s.
Afternoon of {done.day}: teachers signed in, {done.check_ins} children checked in and collected at the kiosks;
  {done.alerts} guardian alerts (notify) and every attended session (stipend) delivered in {done.replay_seconds:.1f}s.
{fen(c.teachers_fen)} for {c.teachers} teachers published on their {c.month} statements (ST-5), and {c.families}
  family statements issued, {fen(c.families_fen)} due in all (ST-6).
The data is in {data}/*.db (SQLite, wiped by the next run). The server has stopped (--exit): run bin/demo
  without --exit to keep it serving, with tokens and commands to try."""


def fen(amount: int) -> str:
    """Integer fen as yuan, e.g. 8000 → ¥80.00."""
    return f"¥{amount // 100:,}.{amount % 100:02d}"


def commands(look: Look) -> list[tuple[str, str]]:
    """(what it shows, the command): each a single line, so it works however it is copied."""
    base = look.base

    def bearer(token: str) -> str:
        return f'-H "Authorization: Bearer {token}"'

    check_in = json.dumps(
        {
            "student_id": look.student_id,
            "device_id": look.device_id,
            "method": "card",
            "occurred_at": look.now.astimezone(SCHOOL_TZ).replace(microsecond=0).isoformat(),
        }
    )
    return [
        ("the guardian's alerts", f"curl -fsS {base}/notify/v2/notifications {bearer(look.guardian_token)}"),
        (
            "live alerts (server-sent events): leave this running, post the check-in below in another terminal",
            f"curl -fsSN {base}/notify/v1/notifications/stream {bearer(look.guardian_token)}",
        ),
        (
            "a kiosk check-in (sent again with the same Idempotency-Key, it stores nothing new)",
            f"curl -fsS -X POST {base}/attendance/v1/check-ins {bearer(look.kiosk_token)} "
            f'-H "Idempotency-Key: demo-check-in-1" -H "Content-Type: application/json" -d {shlex.quote(check_in)}',
        ),
        (
            f"{look.month}'s attended class-hours per child",
            f'curl -fsS "{base}/stipend/v1/tallies/students?month={look.month}" {bearer(look.admin_token)}',
        ),
        (
            f"{look.month}'s teacher statements, as the school admin published them (ST-5)",
            f"curl -fsS {base}/stipend/v1/teacher-statements/{look.month} {bearer(look.admin_token)}",
        ),
        (
            f"a teacher's own {look.month} statement, every entry with the events behind it",
            f"curl -fsS {base}/stipend/v1/teacher-statements/{look.month}/teachers/{look.teacher_id} "
            f"{bearer(look.teacher_token)}",
        ),
        (
            f"the family's {look.month} statement, as issued (ST-6, EN-7)",
            f"curl -fsS {base}/stipend/v1/family-statements/{look.month}/students/{look.student_id} "
            f"{bearer(look.guardian_token)}",
        ),
        ("events each service has handled (Prometheus)", f"curl -fsS {base}/metrics | grep afterschool_events"),
    ]


def guide(look: Look) -> str:
    """The guide to the running demo."""
    lines = [
        "",
        f"The demo is serving on {look.base}/ until Ctrl-C.",
        f"Open {look.base}/attendance/docs in a browser: the attendance API, with a form for every route",
        f"  (each service has its own: {look.base}/enrollment/docs, /homework/docs, /stipend/docs, /notify/docs).",
        "",
        f"Pages: sign in as a demo person at {look.base}/app/signin (English: {look.base}/app/signin?lang=en), then",
        f"  the gate kiosk {look.base}/app/kiosk, the guardian's page {look.base}/app/guardian,",
        f"  the teacher's page {look.base}/app/teacher, the school admin's page {look.base}/app/admin",
        f"  or the district's page {look.base}/app/district.",
        "",
        "Tokens for the API pages' Authorize button (valid 12 hours):",
        f"  a guardian of {look.child_name} ({look.student_id}): {look.guardian_token}",
        f"  kiosk {look.device_id}: {look.kiosk_token}",
        f"  school admin of {look.school_id}: {look.admin_token}",
        f"  service teacher {look.teacher_id}: {look.teacher_token}",
        "",
        "Commands to try (each one line):",
    ]
    for what, command in commands(look):
        lines += [f"# {what}", command]
    return "\n".join(lines)
