"""`afterschool demo`: the all-in-one with a seeded district and an afternoon of kiosk check-ins."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import uvicorn

from afterschool import month as month_demo
from afterschool.cli import dev_secret
from afterschool.district import (
    Api,
    District,
    KioskPost,
    School,
    Student,
    afternoon,
    as_imported,
    build_district,
    import_roster,
    import_steps,
    stored_id,
)
from afterschool.embedded import AllInOne
from afterschool.guide import Done, Look, guide, summary
from afterschool.month import DemoClock, Month
from afterschool.ports import listen
from afterschool.progress import Progress
from chassis.auth import Role
from chassis.clock import Clock, SystemClock, school_today
from web.app import DemoPerson

CHECKED_IN = "attendance.student_checked_in.v1"
ENROLLED = "enrollment.student_enrolled.v1"
LINKED = "enrollment.guardian_linked.v1"
GRACE_SECONDS = 10
REPLAY_BATCH = 25  # check-ins per upload: few requests, and the progress bar still moves


async def run_demo(
    data: Path,
    *,
    host: str,
    port: int,
    keep_serving: bool,
    clock: Clock | None = None,
    district: District | None = None,
    out: TextIO = sys.stdout,
    while_serving: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Start the all-in-one, seed the district through the APIs, live an afternoon of last month and close the
    month, print how to look (or, without `keep_serving`, what was done, with the month's totals).

    The month is the one before `clock`'s (the wall clock's unless a test pins one), its afternoon the last school
    day; the district is the 2-school demo district unless a test passes a smaller one. With
    `keep_serving`, the demo serves until Ctrl-C, or until `while_serving` returns (how a test uses it)."""
    sock = listen(host, port, command="bin/demo")  # before anything slow: a busy port is the first thing said
    print(f"starting the five services on http://{host}:{port}/ (SQLite files in {data}) …", file=out, flush=True)
    shutil.rmtree(data, ignore_errors=True)
    base_clock = clock or SystemClock()
    clock = DemoClock(base_clock)
    district = district or build_district()
    app = AllInOne(data, jwt_secret=dev_secret(), clock=clock, people=_people(district))
    # A request still running at shutdown (e.g. one its client gave up on) must not hold the demo open for ever.
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=GRACE_SECONDS
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(120):
        while not server.started:
            if serving.done():
                return 1
            await asyncio.sleep(0.05)
    base = f"http://{host}:{port}"
    api = Api(dict.fromkeys(("enrollment", "attendance", "notify", "stipend", "homework"), base), secret=dev_secret())
    try:
        month = Month.before(school_today(base_clock))
        done, district, posts = await _seed_and_live(api, district, month, clock, out)
        if not keep_serving:
            print(summary(done, data), file=out)
            return 0
        first = next(s for s in district.students() if s.student_id == posts[0].student_id)
        print(guide(_look(api, base, month, first, clock)), file=out, flush=True)
        await (while_serving() if while_serving else serving)
        return 0
    finally:
        await api.aclose()
        server.should_exit = True
        await serving


async def _seed_and_live(
    api: Api, district: District, month: Month, clock: DemoClock, out: TextIO
) -> tuple[Done, District, list[KioskPost]]:
    """Seed the district on the eve of last month, live its last school afternoon, close the month."""
    students = district.students()
    guardians = sum(len(s.guardian_ids) for s in students)
    taking = len(month_demo.in_service(district).students())
    expected = len(afternoon(month_demo.in_service(district), month.day))
    steps = import_steps(district) + len(students) + 3 * taking + guardians + 3 * expected + len(district.schools) * 6
    progress = Progress(out, steps, title="seeding")
    started = time.perf_counter()
    clock.set(month.at(clock_time(9, 0), month.first - timedelta(days=1)))
    await import_roster(api, district, progress)
    await month_demo.set_up(api, district, month)
    district = as_imported(district)
    await _subject_teachers(api, district)
    students = district.students()
    in_service = month_demo.in_service(district)
    await month_demo.enrol(api, in_service, month, progress)
    posts = afternoon(in_service, month.day, start_at=clock_time(15, 25), minutes=20)
    schools = len(district.schools)
    # Attendance must know every child, their enrollment and the program, notify every guardian, before the
    # afternoon starts.
    await _caught_up(
        api,
        progress,
        "services reading the roster",
        [
            ("attendance", ENROLLED, len(students)),
            ("notify", LINKED, guardians),
            ("attendance", "enrollment.program_scheduled.v1", schools),
            ("attendance", "enrollment.pickup_person_added.v1", taking),
            ("attendance", "enrollment.agreement_signed.v1", taking),
            ("stipend", "enrollment.fee_plan_set.v1", schools),
        ],
    )
    seed_seconds = time.perf_counter() - started
    replay_started = time.perf_counter()
    clock.set(month.at(clock_time(15, 30)))
    await month_demo.sign_in(api, district, month)
    clock.set(month.at(clock_time(15, 45)))
    progress.phase(f"kiosk check-ins of {month.day}", len(posts))
    await _replay(api, posts, progress)
    for dismissed, band in month_demo.dismissal_bands(district, month).items():
        clock.set(month.at(dismissed) + timedelta(minutes=5))
        await month_demo.check_out(api, district, band, posts, month.at(dismissed))
    clock.set(month.at(clock_time(17, 45)))
    await month_demo.file_records(api, district, month, posts)
    clock.resume()
    await _caught_up(
        api,
        progress,
        "alerts, tallies and pay",
        [
            ("notify", CHECKED_IN, len(posts)),
            ("stipend", CHECKED_IN, len(posts)),
            ("stipend", "attendance.student_checked_out.v1", len(posts)),
            ("stipend", "attendance.teacher_signed_in.v1", schools * len(month_demo.TEACHERS)),
            ("stipend", "attendance.activity_record_filed.v1", schools * len(month_demo.TEACHERS)),
        ],
    )
    replay_seconds = time.perf_counter() - replay_started
    closed = await month_demo.close(api, district, month)
    progress.finish(
        f"seeded {schools} schools, {len(students)} children, {guardians} guardians in {seed_seconds:.1f}s; "
        f"lived the afternoon of {month.day} ({len(posts)} check-ins and check-outs, every alert and tally) "
        f"in {replay_seconds:.1f}s; closed {month.name}"
    )
    guardians_of = {s.student_id: len(s.guardian_ids) for s in students}
    alerts = sum(guardians_of[p.student_id] for p in posts)
    done = Done(
        schools, len(students), guardians, seed_seconds, month.day.isoformat(), len(posts), alerts, replay_seconds,
        closed,
    )  # fmt: skip
    return done, district, posts


async def _replay(api: Api, posts: list[KioskPost], progress: Progress) -> None:
    """Each kiosk uploads its afternoon in device-time order, a batch of events at a time (AT-8)."""
    by_kiosk: dict[tuple[str, str], list[KioskPost]] = {}
    for p in posts:
        by_kiosk.setdefault((p.school_id, p.device_id), []).append(p)

    async def upload(school_id: str, device_id: str, batch: list[KioskPost]) -> None:
        token = api.token(Role.KIOSK, device_id, school=school_id)
        body = {"device_id": device_id, "events": [p.batch_event() for p in batch]}
        answer = (
            await api.post("attendance", "/attendance/v1/check-ins/batch", body, token, key=batch[0].key())
        ).json()
        if answer["created"] + answer["duplicates"] != len(batch):
            raise RuntimeError(f"{device_id} uploaded {len(batch)} check-ins; refused: {answer['results']}")
        progress.advance(len(batch))

    await asyncio.gather(
        *(
            upload(school_id, device_id, kiosk[start : start + REPLAY_BATCH])
            for (school_id, device_id), kiosk in by_kiosk.items()
            for start in range(0, len(kiosk), REPLAY_BATCH)
        )
    )


async def _caught_up(api: Api, progress: Progress, label: str, waits: list[tuple[str, str, int]]) -> None:
    """Wait until each (service, event type, count) has been handled, counting them on the progress bar."""
    progress.phase(label, sum(count for _, _, count in waits))
    seen = 0
    async with asyncio.timeout(120):
        while True:
            counts = [min(await api.consumed(service, kind), count) for service, kind, count in waits]
            progress.advance(int(sum(counts)) - seen)
            seen = int(sum(counts))
            if all(c >= count for c, (_, _, count) in zip(counts, waits, strict=True)):
                return
            await asyncio.sleep(0.1)


def _people(district: District) -> tuple[DemoPerson, ...]:
    """Whom the development sign-in page offers: each school's gate kiosk, a guardian of its first child in the
    service, its service teacher, the class teacher and the maths teacher of a class, and its admin (with the ids
    enrollment gives the imported roster); and the district's operator."""
    imported = month_demo.in_service(as_imported(district))
    people = []
    for school in imported.schools:
        child, school_id = school.students[0], school.school_id
        in_service, _, class_name = school.classes[0]
        maths_class, _, maths_class_name = _maths_class(school)
        people += [
            DemoPerson(f"{school.name} · 门口签到机", "kiosk", school_id, f"{school_id}-kiosk-gate"),
            DemoPerson(f"{school.name} · {child.name}的家长", "guardian", school_id, child.guardian_ids[0]),
            DemoPerson(
                f"{school.name} · 课后服务老师",
                "service_teacher",
                school_id,
                month_demo.teacher_id(school_id, "teacher-1"),
            ),
            DemoPerson(
                f"{school.name} · {class_name}班主任",
                "class_teacher",
                school_id,
                month_demo.class_teacher_id(school, 1),
                in_service,
            ),
            DemoPerson(
                f"{school.name} · {maths_class_name}数学老师",
                "subject_teacher",
                school_id,
                stored_id(school_id, "staff", _maths_teacher(school)),
                maths_class,
            ),
            DemoPerson(f"{school.name} · 学校管理员", "school_admin", school_id, f"{school_id}-admin"),
        ]
    # The district page (/app/district): an operator of the whole district, bound to it and to no school.
    people.append(DemoPerson("区教育局 · 运营", "district_operator", district.district_id, "district-operator"))
    return tuple(people)


def _maths_class(school: School) -> tuple[str, int, str]:
    """The class the demo's maths teacher teaches: the school's first of grade 3 (HW-2's cap, not HW-1's ban)."""
    return next((c for c in school.classes if c[1] == 3), school.classes[0])


def _maths_teacher(school: School) -> str:
    """The school's own code of its maths teacher."""
    return f"{school.school_id}-maths-teacher"


async def _subject_teachers(api: Api, district: District) -> None:
    """Each school's maths teacher, who teaches one class (the teacher's page sets homework for it)."""
    for school in district.schools:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)
        staff = {"id": _maths_teacher(school), "name": f"{school.name}数学老师", "roles": ["subject_teacher"]}
        await api.post("enrollment", "/enrollment/v1/staff", staff, admin, key=f"demo-{staff['id']}")
        teaching = {"staff_id": staff["id"], "school_subject": "数学"}
        path = f"/enrollment/v1/classes/{_maths_class(school)[0]}/teachings"
        await api.post("enrollment", path, teaching, admin, key=f"demo-{staff['id']}-teaching")


def _look(api: Api, base: str, month: Month, child: Student, clock: Clock) -> Look:
    school_id = child.school_id
    device_id = f"{school_id}-kiosk-gate"
    teacher = month_demo.teacher_id(school_id, month_demo.TEACHERS[0])
    return Look(
        base=base,
        month=month.name,
        school_id=school_id,
        student_id=child.student_id,
        child_name=child.name,
        device_id=device_id,
        teacher_id=teacher,
        guardian_token=api.token(Role.GUARDIAN, child.guardian_ids[0], school=school_id),
        kiosk_token=api.token(Role.KIOSK, device_id, school=school_id),
        admin_token=api.token(Role.SCHOOL_ADMIN, f"{school_id}-admin", school=school_id),
        teacher_token=api.token(Role.SERVICE_TEACHER, teacher, school=school_id),
        now=clock.now(),
    )
