"""The demo's closed month: the school set up for last month (a term, the base service with two teachers, its
fee plan, who collects each child, one class enrolled through EN-1), one afternoon of it lived through on a clock
the demo moves, then the month closed through the stipend's API: teacher statements approved and published
(ST-5), family statements issued (ST-6, EN-7)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from afterschool.district import Api, District, KioskPost, School, Student, import_file, stored_id
from afterschool.progress import Progress
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


def program_code(school: School) -> str:
    """The school's own code of its base service of the demo month."""
    return f"{school.school_id}-homework-supervision"


def program_id(school: School) -> str:
    """The id enrollment stores the school's base service under (events and sessions carry it)."""
    return stored_id(school.school_id, "program", program_code(school))


def teacher_code(school_id: str, teacher: str) -> str:
    """The school's own code of a teacher."""
    return f"{school_id}-{teacher}"


def teacher_id(school_id: str, teacher: str) -> str:
    """A teacher's staff id as enrollment stores it: the subject of their token."""
    return stored_id(school_id, "staff", teacher_code(school_id, teacher))


def pickups_file(school: School) -> str:
    """Who may collect each child in the service (EN-8 pickups file): their first guardian, with a card the kiosk
    reads."""
    rows = ["学号,接送人编号,接送人姓名,关系,接送凭证,家长编号"]
    for n, s in enumerate(school.students):
        if s.class_id != school.classes[0][0]:
            continue  # not in the service (`in_service`): never collected at the after-school gate
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
            code = teacher_code(school.school_id, teacher)
            staff = {"id": code, "name": f"{school.name}老师{n}", "roles": ["service_teacher"]}
            await post("/enrollment/v1/staff", staff, f"demo-{staff['id']}")
        program = {
            "id": program_code(school),
            "term_id": term,
            "kind": "homework_supervision",
            "name": "课后托管",
            "capacity": 2000,
            "teacher_ids": [teacher_code(school.school_id, t) for t in TEACHERS],
            "weekdays": [0, 1, 2, 3, 4],
            "starts_at": PROGRAM_STARTS.isoformat("minutes"),
            "class_hours": CLASS_HOURS,
            "min_grade": 1,
            "max_grade": 6,
        }
        await post("/enrollment/v1/programs", program, f"demo-{program_code(school)}")
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
                api.token(Role.SERVICE_TEACHER, teacher_id(school.school_id, t), school=school.school_id),
                key=f"demo-sign-in-{t}",
            )
            for school in district.schools
            for t in TEACHERS
        )
    )


async def file_records(api: Api, district: District, month: Month, posts: list[KioskPost]) -> None:
    """Each teacher files the session's activity record (AT-9) with every part filled, naming the children who
    came: a complete record (ST-1: 1 unit)."""
    came: dict[str, list[str]] = {}
    for p in posts:
        came.setdefault(p.school_id, []).append(p.student_id)
    await asyncio.gather(
        *(
            api.put(
                "attendance",
                f"/attendance/v1/sessions/{_session(school, month)}/activity-record",
                {
                    "place": "3楼多功能教室",
                    "content": "作业辅导与阅读",
                    "student_ids": sorted(came.get(school.school_id, [])),
                    "effect": "作业当堂完成",
                },
                api.token(Role.SERVICE_TEACHER, teacher_id(school.school_id, t), school=school.school_id),
            )
            for school in district.schools
            for t in TEACHERS
        )
    )


def in_service(district: District) -> District:
    """The children who take the after-school service in the demo month: each school's first class. Every
    enrolment is four requests (EN-1), so the demo enrols a class rather than the school, to reach its guide in
    seconds; the other children are on the roster but not in the service, and do not come in the afternoon."""
    return replace(
        district,
        schools=tuple(
            replace(school, students=tuple(s for s in school.students if s.class_id == school.classes[0][0]))
            for school in district.schools
        ),
    )


async def enrol(api: Api, district: District, month: Month, progress: Progress | None = None) -> None:
    """EN-1 through enrollment's API, for every child of `district`: their class has a class teacher; the child's
    first guardian applies for the month's term, the class teacher reviews, the school approves, the guardian
    signs: the enrollment is active from the term's first day, so the child is expected in its sessions."""

    async def class_teachers(school: School) -> None:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)
        classes = {s.class_id for s in school.students}
        for n, (class_id, _, name) in enumerate(school.classes, 1):
            if class_id not in classes:
                continue
            staff = {"id": class_teacher_code(school, n), "name": f"{name}班主任", "roles": ["class_teacher"]}
            await api.post("enrollment", "/enrollment/v1/staff", staff, admin, key=f"demo-{staff['id']}")
            body = {"staff_id": staff["id"]}
            await api.put("enrollment", f"/enrollment/v1/classes/{class_id}/class-teacher", body, admin)

    await asyncio.gather(*(class_teachers(school) for school in district.schools))

    async def apply(school: School, student: Student) -> None:
        sid = school.school_id
        guardian = api.token(Role.GUARDIAN, student.guardian_ids[0], school=sid)
        n = next(i for i, (c, _, _) in enumerate(school.classes, 1) if c == student.class_id)
        steps = (
            ("review", api.token(Role.CLASS_TEACHER, class_teacher_id(school, n), school=sid)),
            ("approval", api.token(Role.SCHOOL_ADMIN, f"{sid}-admin", school=sid)),
            ("agreement", guardian),
        )
        application = f"{student.student_id}-{month.name}"
        body = {"id": application, "student_id": student.student_id, "term_id": f"{sid}-{month.name}"}
        await api.post("enrollment", "/enrollment/v1/applications", body, guardian, key=f"demo-{application}")
        for step, token in steps:
            path = f"/enrollment/v1/applications/{application}/{step}"
            await api.post("enrollment", path, {}, token, key=f"demo-{application}-{step}")
        if progress:
            progress.advance()

    if progress:
        progress.phase("enrolments (EN-1)", len(district.students()))
    await asyncio.gather(*(apply(school, s) for school in district.schools for s in school.students))


def class_teacher_code(school: School, n: int) -> str:
    """The school's own code of the class teacher of its n-th class."""
    return f"{school.school_id}-class-teacher-{n}"


def class_teacher_id(school: School, n: int) -> str:
    """The staff id of the class teacher of the school's n-th class, as enrollment stores it (their token's
    subject)."""
    return stored_id(school.school_id, "staff", class_teacher_code(school, n))


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


async def _approve_and_publish(api: Api, month: str, admin: str) -> Any:
    """ST-5: approve the month's statements, then publish them. A fact still landing between the two (the demo waits
    for the main kinds only) changes the draft, and the service asks for a new approval (409), as it would ask a
    school admin: approve again, under a new Idempotency-Key, since each approval is a new decision."""
    base = f"/stipend/v1/teacher-statements/{month}"
    for attempt in range(5):
        await api.post("stipend", f"{base}/approve", {}, admin, key=f"demo-approve-{month}-{attempt}")
        key = f"demo-publish-{month}-{attempt}"
        published = await api.post("stipend", f"{base}/publish", {}, admin, key=key, expect=(200, 201, 409))
        if published.status_code != 409:
            return published.json()
        if "approve it again" not in published.text:
            raise RuntimeError(f"POST {base}/publish → 409: {published.text}")
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{base}: the draft kept changing after each approval")


async def close(api: Api, district: District, month: Month) -> Closed:
    """Approve and publish the teacher statements (ST-5), then issue the family statements (ST-6)."""
    teachers = teachers_fen = families = families_fen = 0
    for school in district.schools:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)
        published = await _approve_and_publish(api, month.name, admin)
        teachers += len(published["teachers"])
        teachers_fen += sum(t["payable_fen"] for t in published["teachers"])
        issue = f"/stipend/v1/family-statements/{month.name}/issue"
        issued = (await api.post("stipend", issue, {}, admin, key=f"demo-issue-{month.name}")).json()
        families += issued["statements"]
        families_fen += issued["due_fen"]
    return Closed(month.name, teachers, teachers_fen, families, families_fen)
