"""The backbone scenario, run on the full stack and on the embedded mode alike.

1,000 kiosk check-ins over two afternoons of a seeded district, posted concurrently from several kiosks, with
retries (same Idempotency-Key) and duplicate device uploads (same event, new key) mixed in. Afterwards every
guardian has exactly one alert per check-in of their child, and the tallies are exactly the distinct sessions.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from afterschool.district import Api, District, KioskPost, afternoon, build_district, seed
from chassis.auth import Role
from chassis.clock import SCHOOL_TZ

CHECK_INS = 1000
CHECKED_IN = "attendance.student_checked_in.v1"
DAYS = (date(2026, 11, 23), date(2026, 11, 24))
# The services' clock: the Wednesday morning after the two afternoons, before any session of that day. Every
# check-in is then an offline upload of a day already over, which must alarm nobody (AT-8, LATE-3): the guardians'
# lists hold check-in alerts only.
MORNING_AFTER = datetime(2026, 11, 25, 7, 0, tzinfo=SCHOOL_TZ)


@dataclass(frozen=True)
class Outcome:
    """What the scenario observed, for the test to assert."""

    posted: int
    stored: int
    notifications: dict[str, int]
    expected_notifications: dict[str, int]
    tallies: dict[str, dict[str, tuple[int, int]]]
    expected_tallies: dict[str, dict[str, tuple[int, int]]]


def the_posts(district: District) -> list[KioskPost]:
    """1,000 check-ins over two afternoons (each child at most once a day)."""
    posts = [p for n, day in enumerate(DAYS) for p in afternoon(district, day, attendance=0.75, seed=n)]
    assert len(posts) >= CHECK_INS
    return posts[:CHECK_INS]


async def run(api: Api) -> Outcome:
    """Seed, post with retries and duplicates, wait until notify and stipend caught up, and read the results."""
    district = await seed(api, build_district())  # with the ids enrollment stored (issue 11)
    students = district.students()
    await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(students))
    await api.wait_consumed("notify", "enrollment.guardian_linked.v1", sum(len(s.guardian_ids) for s in students))

    posts = the_posts(district)

    async def send(n: int, post: KioskPost) -> str:
        token = api.token(Role.KIOSK, post.device_id, school=post.school_id)
        first = await api.post("attendance", "/attendance/v1/check-ins", post.body(), token, key=post.key())
        if n % 7 == 0:  # the kiosk did not see the answer and retries with the same key
            retry = await api.post("attendance", "/attendance/v1/check-ins", post.body(), token, key=post.key())
            assert retry.json() == first.json()
        if n % 11 == 0:  # an offline batch uploads the same device event again under a new key
            again = await api.post("attendance", "/attendance/v1/check-ins", post.body(), token, key=f"dup-{n}")
            assert again.status_code == 200
            assert again.json()["check_in_id"] == first.json()["check_in_id"]
        check_in_id: str = first.json()["check_in_id"]
        return check_in_id

    check_in_ids = await asyncio.gather(*(send(n, p) for n, p in enumerate(posts)))
    await api.wait_consumed("notify", CHECKED_IN, CHECK_INS, timeout=180)
    await api.wait_consumed("stipend", CHECKED_IN, CHECK_INS, timeout=180)
    await asyncio.sleep(1.0)  # anything doubled would arrive now

    by_id = {s.student_id: s for s in students}
    expected_notifications = Counter(g for p in posts for g in by_id[p.student_id].guardian_ids)
    notifications = await _notifications(api, district)
    expected_tallies = _expected_tallies(posts)
    tallies = {school.school_id: await _tallies(api, school.school_id) for school in district.schools}
    return Outcome(
        CHECK_INS, len(set(check_in_ids)), notifications, dict(expected_notifications), tallies, expected_tallies
    )


async def _notifications(api: Api, district: District) -> dict[str, int]:
    async def count(school_id: str, guardian: str) -> tuple[str, int]:
        token = api.token(Role.GUARDIAN, guardian, school=school_id)
        items = (await api.get("notify", "/notify/v1/notifications", token, limit=200)).json()["items"]
        assert all(i["event_type"] == CHECKED_IN for i in items)
        assert len({i["notification_id"] for i in items}) == len(items)
        return guardian, len(items)

    counted = await asyncio.gather(*(count(s.school_id, g) for s in district.students() for g in s.guardian_ids))
    return {g: n for g, n in counted if n}


def _expected_tallies(posts: list[KioskPost]) -> dict[str, dict[str, tuple[int, int]]]:
    sessions: dict[str, set[tuple[str, str]]] = {}
    for p in posts:
        sessions.setdefault(p.school_id, set()).add((p.student_id, p.occurred_at.date().isoformat()))
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for school, attended in sessions.items():
        per_student = Counter(student for student, _ in attended)
        result[school] = {student: (n, 2 * n) for student, n in per_student.items()}
    return result


async def _tallies(api: Api, school_id: str) -> dict[str, tuple[int, int]]:
    token = api.token(Role.SCHOOL_ADMIN, f"{school_id}-admin", school=school_id)
    items = (await api.get("stipend", "/stipend/v1/tallies/students", token, month="2026-11")).json()["items"]
    return {i["student_id"]: (i["sessions"], i["class_hours"]) for i in items}
