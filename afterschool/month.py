"""The demo's closed month: the school set up for last month (a term, the base service with two teachers, its
fee plan, who collects each child), one afternoon of it lived through on a clock the demo moves, then the month
closed through the stipend's API: teacher statements approved and published (ST-5), family statements issued
(ST-6, EN-7)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from afterschool.district import Api, District, KioskPost, School, Student, import_file
from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, Clock

PROGRAM_STARTS, CLASS_HOURS = time(15, 40), 2  # 2 class-hours of 40 min (EN-5): 15:40–17:00
FEN_PER_CLASS_HOUR, DAILY_CAP = 230, 2  # EN-7's example figures
TEACHERS = ("teacher-1", "teacher-2")


class DemoClock:
    """A clock the demo sets to moments of last month (it then runs on from there) and gives back to `base`."""

    def __init__(self, base: Clock) -> None:
        self._base, self._offset = base, timedelta(0)

    def now(self) -> datetime:
        """The base clock's time, moved to where the demo set it."""
        return self._base.now() + self._offset

    def set(self, moment: datetime) -> None:
        """Run on from `moment`."""
        self._offset = moment - self._base.now()

    def resume(self) -> None:
        """Back to the base clock."""
        self._offset = timedelta(0)


@dataclass(frozen=True)
class Month:
    """Last month, as the demo lives it: set up the eve of its first day, one afternoon on its last school day."""

    first: date
    last: date
    day: date

    @property
    def name(self) -> str:
        """YYYY-MM."""
        return self.first.isoformat()[:7]

    def at(self, moment: time, day: date | None = None) -> datetime:
        """A school-time moment of the afternoon (or of `day`)."""
        return datetime.combine(day or self.day, moment, SCHOOL_TZ)

    @classmethod
    def before(cls, today: date) -> Month:
        """The month before `today`'s."""
        last = today.replace(day=1) - timedelta(days=1)
        day = last
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return cls(last.replace(day=1), last, day)


def program_id(school: School) -> str:
    """The school's base service of the demo month."""
    return f"{school.school_id}-homework-supervision"


def teacher_id(school: School, teacher: str) -> str:
    """A teacher's staff id (the subject of their token)."""
    return f"{school.school_id}-{teacher}"


def pickups_file(school: School) -> str:
    """Who may collect each child (EN-8 pickups file): their first guardian, with a card the kiosk reads."""
    rows = ["学号,接送人编号,接送人姓名,关系,接送凭证,家长编号"]
    for n, s in enumerate(school.students):
        guardian = s.guardian_ids[0]
        rows.append(f"{s.student_id},{guardian},{s.name}的家长1,家长,{card(school, n)},{guardian}")
    return "\n".join(rows)


def card(school: School, n: int) -> str:
    """The card of the school's n-th child's first guardian, as the kiosk reads it (the same before and after
    the roster's ids are enrollment's)."""
    return f"card-{school.school_id}-{n:03d}"


async def set_up(api: Api, district: District, month: Month) -> None:
    """Through enrollment's API: the term, two service teachers, the base service for every grade, its fee plan."""

    async def school_set_up(school: School) -> None:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)
        term = f"{school.school_id}-{month.name}"

        async def post(path: str, body: dict[str, Any], key: str) -> None:
            await api.post("enrollment", path, body, admin, key=key)

        await post(
            "/enrollment/v1/terms",
            {"id": term, "name": f"{month.name} 课后服务", "starts_on": str(month.first), "ends_on": str(month.last)},
            f"demo-{term}",
        )
        for n, teacher in enumerate(TEACHERS, 1):
            staff = {"id": teacher_id(school, teacher), "name": f"{school.name}老师{n}", "roles": ["service_teacher"]}
            await post("/enrollment/v1/staff", staff, f"demo-{staff['id']}")
        program = {
            "id": program_id(school),
            "term_id": term,
            "kind": "homework_supervision",
            "name": "课后托管",
            "capacity": 2000,
            "teacher_ids": [teacher_id(school, t) for t in TEACHERS],
            "weekdays": [0, 1, 2, 3, 4],
            "starts_at": PROGRAM_STARTS.isoformat("minutes"),
            "class_hours": CLASS_HOURS,
            "min_grade": 1,
            "max_grade": 6,
        }
        await post("/enrollment/v1/programs", program, f"demo-{program_id(school)}")
        await import_file(api, school.school_id, "pickups", pickups_file(school))
        fee_plan = {
            "kind": "per_class_hour",
            "effective_from": str(month.first),
            "fen_per_class_hour": FEN_PER_CLASS_HOUR,
            "max_charged_class_hours_per_day": DAILY_CAP,
        }
        await api.put("enrollment", f"/enrollment/v1/programs/{program_id(school)}/fee-plan", fee_plan, admin)

    await asyncio.gather(*(school_set_up(school) for school in district.schools))


def _session(school: School, month: Month) -> str:
    return f"{program_id(school)}:{month.day.isoformat()}"


async def sign_in(api: Api, district: District, month: Month) -> None:
    """Each teacher signs in for the afternoon's session (AT-9), before it starts."""
    await asyncio.gather(
        *(
            api.post(
                "attendance",
                f"/attendance/v1/sessions/{_session(school, month)}/teacher-sign-in",
                {},
                api.token(Role.SERVICE_TEACHER, teacher_id(school, t), school=school.school_id),
                key=f"demo-sign-in-{t}",
            )
            for school in district.schools
            for t in TEACHERS
        )
    )


async def file_records(api: Api, district: District, month: Month) -> None:
    """Each teacher files the session's activity record (AT-9). It names no children: none has an active
    enrollment of the term (EN-1), so none is expected in the session, and the record is incomplete (ST-1:
    0.5 units)."""
    await asyncio.gather(
        *(
            api.put(
                "attendance",
                f"/attendance/v1/sessions/{_session(school, month)}/activity-record",
                {"place": "3楼多功能教室", "content": "作业辅导与阅读", "effect": "作业当堂完成"},
                api.token(Role.SERVICE_TEACHER, teacher_id(school, t), school=school.school_id),
            )
            for school in district.schools
            for t in TEACHERS
        )
    )


def dismissal_bands(district: District, month: Month) -> dict[time, list[Student]]:
    """The checked-in children by their grade's dismissal time (AT-4's default times)."""
    grade_of = {c: g for school in district.schools for c, g, _ in school.classes}
    times = {1: time(17, 0), 2: time(17, 0), 3: time(17, 20), 4: time(17, 20)}
    bands: dict[time, list[Student]] = {}
    for s in district.students():
        bands.setdefault(times.get(grade_of[s.class_id], time(17, 30)), []).append(s)
    return dict(sorted(bands.items()))


async def check_out(api: Api, district: District, students: list[Student], posts: list[KioskPost], at: datetime) -> int:
    """The children of a band who came are collected at the gate by their first guardian's card (AT-4, BX-2)."""
    came = {p.student_id for p in posts}
    cards = {s.student_id: card(school, n) for school in district.schools for n, s in enumerate(school.students)}
    by_school: dict[str, list[dict[str, Any]]] = {}
    for n, s in enumerate(x for x in students if x.student_id in came):
        event = {
            "student_id": s.student_id,
            "occurred_at": (at + timedelta(seconds=n % 240)).isoformat(),
            "credential_ref": cards[s.student_id],
        }
        by_school.setdefault(s.school_id, []).append(event)
    for school_id, events in by_school.items():
        device = f"{school_id}-kiosk-gate"
        body = {"device_id": device, "events": events}
        token = api.token(Role.KIOSK, device, school=school_id)
        answer = (
            await api.post("attendance", "/attendance/v1/check-outs/batch", body, token, key=f"demo-out-{at:%H%M}")
        ).json()
        if answer["refused"]:
            raise RuntimeError(f"{answer['refused']} check-outs refused, e.g. {answer['results'][0]}")
    return sum(len(e) for e in by_school.values())


@dataclass(frozen=True)
class Closed:
    """What closing the month gave, per school: teachers' payable fen and families' due fen."""

    month: str
    teachers: int
    teachers_fen: int
    families: int
    families_fen: int


async def close(api: Api, district: District, month: Month) -> Closed:
    """Approve and publish the teacher statements (ST-5), then issue the family statements (ST-6)."""
    teachers = teachers_fen = families = families_fen = 0
    for school in district.schools:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)
        base = f"/stipend/v1/teacher-statements/{month.name}"
        await api.post("stipend", f"{base}/approve", {}, admin, key=f"demo-approve-{month.name}")
        published = (await api.post("stipend", f"{base}/publish", {}, admin, key=f"demo-publish-{month.name}")).json()
        teachers += len(published["teachers"])
        teachers_fen += sum(t["payable_fen"] for t in published["teachers"])
        issue = f"/stipend/v1/family-statements/{month.name}/issue"
        issued = (await api.post("stipend", issue, {}, admin, key=f"demo-issue-{month.name}")).json()
        families += issued["statements"]
        families_fen += issued["due_fen"]
    return Closed(month.name, teachers, teachers_fen, families, families_fen)
