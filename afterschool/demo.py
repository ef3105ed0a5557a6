"""`afterschool demo`: the all-in-one with a seeded district and an afternoon of kiosk check-ins."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import uvicorn

from afterschool.cli import dev_secret
from afterschool.district import Api, afternoon, build_district, last_school_day, seed
from afterschool.embedded import AllInOne
from chassis.auth import Role
from chassis.clock import Clock, SystemClock, school_today

CHECKED_IN = "attendance.student_checked_in.v1"
GRACE_SECONDS = 10


async def run_demo(data: Path, *, host: str, port: int, keep_serving: bool, clock: Clock | None = None) -> int:
    """Start the all-in-one, seed the district through the APIs, replay the afternoon, print how to look.

    The replayed afternoon is the school day before `clock`'s (the wall clock's unless a test pins one)."""
    shutil.rmtree(data, ignore_errors=True)
    clock = clock or SystemClock()
    app = AllInOne(data, jwt_secret=dev_secret(), clock=clock)
    # A request still running at shutdown (e.g. one its client gave up on) must not hold the demo open for ever.
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=GRACE_SECONDS
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(120):
        while not server.started:
            if serving.done():
                return 1
            await asyncio.sleep(0.05)
    base = f"http://{host}:{port}"
    api = Api(dict.fromkeys(("enrollment", "attendance", "notify", "stipend", "homework"), base), secret=dev_secret())
    try:
        started = time.perf_counter()
        district = build_district()
        await seed(api, district)
        students = district.students()
        print(
            f"seeded {len(district.schools)} schools, {len(students)} children, "
            f"{sum(len(s.guardian_ids) for s in students)} guardians in {time.perf_counter() - started:.1f}s"
        )
        await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(students))
        day = last_school_day(school_today(clock))
        posts = afternoon(district, day)
        replay_started = time.perf_counter()
        await asyncio.gather(
            *(
                api.post(
                    "attendance",
                    "/attendance/v1/check-ins",
                    p.body(),
                    api.token(Role.KIOSK, p.device_id, school=p.school_id),
                    key=p.key(),
                )
                for p in posts
            )
        )
        await api.wait_consumed("notify", CHECKED_IN, len(posts))
        await api.wait_consumed("stipend", CHECKED_IN, len(posts))
        print(
            f"replayed {len(posts)} kiosk check-ins of {day} and delivered every alert and tally "
            f"in {time.perf_counter() - replay_started:.1f}s"
        )
        _print_guide(api, base, day.isoformat()[:7], posts[0].student_id)
        if keep_serving:
            print("\nserving until Ctrl-C …")
            await serving
        return 0
    finally:
        await api.aclose()
        server.should_exit = True
        await serving


def _print_guide(api: Api, base: str, month: str, student_id: str) -> None:
    school_id = student_id.split("-")[0]
    guardian = f"{student_id}-p1"
    guardian_token = api.token(Role.GUARDIAN, guardian, school=school_id)
    kiosk_token = api.token(Role.KIOSK, f"{school_id}-kiosk-gate", school=school_id)
    admin_token = api.token(Role.SCHOOL_ADMIN, f"{school_id}-admin", school=school_id)
    print(f"""
guardian token ({guardian}):   {guardian_token}
kiosk token ({school_id}-kiosk-gate): {kiosk_token}
school admin token ({school_id}):    {admin_token}

# the guardian's alerts
curl -s {base}/notify/v1/notifications -H "Authorization: Bearer {guardian_token}"
# live alerts (server-sent events); post a check-in in another terminal to see one arrive
curl -sN {base}/notify/v1/notifications/stream -H "Authorization: Bearer {guardian_token}"
# a kiosk check-in (retrying with the same Idempotency-Key never stores a second one)
curl -s -X POST {base}/attendance/v1/check-ins -H "Authorization: Bearer {kiosk_token}" \\
  -H "Idempotency-Key: $(date +%s)" -H "Content-Type: application/json" \\
  -d '{{"student_id": "{student_id}", "device_id": "{school_id}-kiosk-gate", "method": "card", \\
       "occurred_at": "'$(date -Iseconds)'"}}'
# this month's tallies of attended class-hours
curl -s "{base}/stipend/v1/tallies/students?month={month}" -H "Authorization: Bearer {admin_token}"
# metrics and API docs
curl -s {base}/metrics | grep afterschool_events
open {base}/attendance/docs""")
