"""A deterministic demo district (2 schools, grades 1–6, 2 classes per grade, 30 children per class), seeded
through the services' real HTTP APIs, and an afternoon of kiosk check-ins to replay against it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from afterschool.progress import Progress
from chassis.auth import Role, mint_token
from chassis.clock import SCHOOL_TZ

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["小明", "小红", "子涵", "欣怡", "浩然", "梓萱", "宇轩", "一诺", "俊杰", "思彤", "雨泽", "佳怡", "博文", "可馨"]
RELATIONS = ("母亲", "父亲")
SCHOOL_NAMES = ("实验小学", "育才小学")


@dataclass(frozen=True)
class Student:
    """A child of the demo district, with their guardians' ids."""

    student_id: str
    school_id: str
    class_id: str
    name: str
    guardian_ids: tuple[str, ...]


@dataclass(frozen=True)
class School:
    """A school of the demo district, its classes and its kiosks."""

    school_id: str
    name: str
    classes: tuple[tuple[str, int, str], ...]  # (class id, grade, name)
    kiosks: tuple[str, ...]
    students: tuple[Student, ...] = field(repr=False)


@dataclass(frozen=True)
class District:
    """The demo district: ids are stable, so a demo or a test can be reproduced exactly."""

    district_id: str
    schools: tuple[School, ...]

    def students(self) -> list[Student]:
        """Every child of every school."""
        return [s for school in self.schools for s in school.students]


def build_district(
    *, schools: int = 2, grades: int = 6, classes_per_grade: int = 2, per_class: int = 30, seed: int = 2021
) -> District:
    """The district with deterministic ids (`s1-g3-c2-07`) and names; one or two guardians per child."""
    rng = random.Random(seed)
    built = []
    for s in range(1, schools + 1):
        school_id = f"s{s}"
        classes, students = [], []
        for g in range(1, grades + 1):
            for c in range(1, classes_per_grade + 1):
                class_id = f"{school_id}-g{g}-c{c}"
                classes.append((class_id, g, f"{g}年级{c}班"))
                for n in range(1, per_class + 1):
                    student_id = f"{class_id}-{n:02d}"
                    guardians = tuple(f"{student_id}-p{k}" for k in range(1, rng.choice((1, 2, 2)) + 1))
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                    students.append(Student(student_id, school_id, class_id, name, guardians))
        kiosks = (f"{school_id}-kiosk-gate", f"{school_id}-kiosk-east", f"{school_id}-kiosk-west")
        built.append(
            School(
                school_id,
                SCHOOL_NAMES[(s - 1) % 2] + ("" if s <= 2 else str(s)),
                tuple(classes),
                kiosks,
                tuple(students),
            )
        )
    return District("d1", tuple(built))


class Api:
    """Calls the services over HTTP; `bases` maps a service to its base URL (one URL in the all-in-one)."""

    def __init__(self, bases: dict[str, str], *, secret: str, concurrency: int = 16) -> None:
        self._bases, self._secret = bases, secret
        # Idle connections are dropped after 2 s, before uvicorn closes them at its 5 s keep-alive: with httpx's own
        # 5 s a request sent on a connection the server was closing that instant got "Server disconnected".
        limits = httpx.Limits(max_connections=concurrency * 2, keepalive_expiry=2.0)
        self._client = httpx.AsyncClient(timeout=30.0, limits=limits)
        self._slots = asyncio.Semaphore(concurrency)

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    def token(self, role: Role, subject: str, *, school: str | None = None, district: str | None = None) -> str:
        """A development token."""
        return mint_token(secret=self._secret, role=role, subject=subject, school_id=school, district_id=district)

    async def post(
        self,
        service: str,
        path: str,
        body: dict[str, Any],
        token: str,
        *,
        key: str | None = None,
        expect: Iterable[int] = (200, 201),
    ) -> httpx.Response:
        """POST with a bearer token (and an Idempotency-Key if given); raises unless the status is expected."""
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        async with self._slots:
            for attempt in range(3):
                try:
                    response = await self._client.post(f"{self._bases[service]}{path}", json=body, headers=headers)
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # A keep-alive connection closed by the server as we reused it: the Idempotency-Key
                    # makes resending safe, which is exactly what a kiosk does.
                    if attempt == 2 or key is None:
                        raise
        if response.status_code not in set(expect):
            raise RuntimeError(f"POST {path} → {response.status_code}: {response.text}")
        return response

    async def put(self, service: str, path: str, body: dict[str, Any], token: str) -> httpx.Response:
        """PUT with a bearer token; raises unless the status is 200 or 201."""
        async with self._slots:
            response = await self._client.put(
                f"{self._bases[service]}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"PUT {path} → {response.status_code}: {response.text}")
        return response

    async def upload(self, service: str, path: str, content: str, token: str, *, key: str) -> httpx.Response:
        """POST a CSV file (UTF-8) with a bearer token and an Idempotency-Key; raises unless it is accepted."""
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "text/csv"}
        async with self._slots:
            response = await self._client.post(
                f"{self._bases[service]}{path}", content=content.encode(), headers=headers
            )
        if response.status_code not in (200, 201, 202):
            raise RuntimeError(f"POST {path} → {response.status_code}: {response.text}")
        return response

    async def get(self, service: str, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        """GET with an optional bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self._slots:
            return await self._client.get(f"{self._bases[service]}{path}", params=params, headers=headers)

    async def consumed(self, service: str, event_type: str) -> float:
        """How many events of a type the service has handled (its `afterschool_events_consumed_total`)."""
        text = (await self.get(service, "/metrics")).text
        prefix = f'afterschool_events_consumed_total{{service="{service}",type="{event_type}"}}'
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))

    async def wait_consumed(self, service: str, event_type: str, count: int, *, timeout: float = 120.0) -> float:
        """Wait until the service has handled `count` events of the type; returns the seconds waited."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while (seen := await self.consumed(service, event_type)) < count:
            if loop.time() - started > timeout:
                raise TimeoutError(f"{service} handled {seen:.0f} of {count} {event_type} within {timeout}s")
            await asyncio.sleep(0.1)
        return loop.time() - started


async def seed(api: Api, district: District) -> District:
    """Register the schools, classes, children and guardians through enrollment's API; the district with the ids
    enrollment stored them under (`as_imported`: the school's codes are scoped to it, issue 11)."""
    operator = api.token(Role.DISTRICT_OPERATOR, "operator-1", district=district.district_id)
    for school in district.schools:
        await api.post(
            "enrollment",
            "/enrollment/v1/schools",
            {"id": school.school_id, "name": school.name},
            operator,
            key=f"seed-{school.school_id}",
        )
        admin = api.token(Role.SCHOOL_ADMIN, f"{school.school_id}-admin", school=school.school_id)

        async def post(path: str, body: dict[str, Any], key: str, token: str = admin) -> None:
            await api.post("enrollment", path, body, token, key=key)

        await _all(
            post("/enrollment/v1/classes", {"id": c, "grade": g, "name": n}, f"seed-{c}") for c, g, n in school.classes
        )
        await _all(
            post(
                "/enrollment/v1/students",
                {"id": s.student_id, "class_id": s.class_id, "name": s.name},
                f"seed-{s.student_id}",
            )
            for s in school.students
        )
        await _all(
            post(
                "/enrollment/v1/guardians",
                {
                    "id": g,
                    "name": f"{s.name}的家长{i}",
                    "phone": f"+86 138{i}{n:07d}",
                    "preferred_language": "zh" if n % 5 else "en",
                },
                f"seed-{g}",
            )
            for n, s in enumerate(school.students)
            for i, g in enumerate(s.guardian_ids, 1)
        )
        await _all(
            post(
                f"/enrollment/v1/students/{s.student_id}/guardians",
                {"guardian_id": g, "relation": RELATIONS[(i - 1) % 2]},
                f"seed-link-{g}",
            )
            for s in school.students
            for i, g in enumerate(s.guardian_ids, 1)
        )
    return as_imported(district)


def roster_files(school: School) -> dict[str, str]:
    """The school's roster as the CSV files a school imports (EN-8): classes, children, guardians with links."""
    classes = ["班级编号,年级,班级名称", *(f"{c},{g},{n}" for c, g, n in school.classes)]
    children = ["学号,姓名,班级", *(f"{s.student_id},{s.name},{s.class_id}" for s in school.students)]
    guardians = ["家长编号,家长姓名,联系电话,语言,学号,关系"]
    for n, s in enumerate(school.students):
        for i, g in enumerate(s.guardian_ids, 1):
            language = "zh" if n % 5 else "en"
            guardians.append(
                f"{g},{s.name}的家长{i},+86 138{i}{n:07d},{language},{s.student_id},{RELATIONS[(i - 1) % 2]}"
            )
    return {"classes": "\n".join(classes), "students": "\n".join(children), "guardians": "\n".join(guardians)}


def stored_id(school_id: str, kind: str, code: str) -> str:
    """The id enrollment stores a school's row of `kind` under, from the school's own code for it (EN-8/issue 11:
    the same whether the row came in a file or through the API), so the demo knows it without asking."""
    from services.enrollment.domain.imports import new_id

    return new_id(school_id, kind, code)


def as_imported(district: District) -> District:
    """The district with the ids enrollment gives its rows, imported or created through the API: derived from the
    school and the school's own ids (EN-8/issue 11), so the demo knows them without asking."""

    def school_as_imported(school: School) -> School:
        def class_id(external: str) -> str:
            return stored_id(school.school_id, "class", external)

        return replace(
            school,
            classes=tuple((class_id(c), g, n) for c, g, n in school.classes),
            students=tuple(
                replace(
                    s,
                    student_id=stored_id(school.school_id, "student", s.student_id),
                    class_id=class_id(s.class_id),
                    guardian_ids=tuple(stored_id(school.school_id, "guardian", g) for g in s.guardian_ids),
                )
                for s in school.students
            ),
        )

    return replace(district, schools=tuple(school_as_imported(s) for s in district.schools))


def import_steps(district: District) -> int:
    """How many rows `import_roster` imports (for a progress bar)."""
    return sum(len(files.splitlines()) - 1 for school in district.schools for files in roster_files(school).values())


async def import_roster(api: Api, district: District, progress: Progress | None = None) -> None:
    """Register the schools, then import each school's roster files through enrollment's API, as a school
    does at the start of a term (EN-8): one transaction per file instead of a request per row."""
    operator = api.token(Role.DISTRICT_OPERATOR, "operator-1", district=district.district_id)
    for school in district.schools:
        body = {"id": school.school_id, "name": school.name}
        await api.post("enrollment", "/enrollment/v1/schools", body, operator, key=f"seed-{school.school_id}")
    for kind, label in (("classes", "classes"), ("students", "children"), ("guardians", "guardians")):
        files = {school.school_id: roster_files(school)[kind] for school in district.schools}
        if progress:
            progress.phase(label, sum(len(f.splitlines()) - 1 for f in files.values()))
        await _all(import_file(api, school_id, kind, content, progress) for school_id, content in files.items())


async def import_file(api: Api, school_id: str, kind: str, content: str, progress: Progress | None = None) -> None:
    """Import one roster file of a school (EN-8) and wait until its job has succeeded."""
    admin = api.token(Role.SCHOOL_ADMIN, f"{school_id}-admin", school=school_id)
    job = (
        await api.upload("enrollment", f"/enrollment/v1/imports?kind={kind}", content, admin, key=f"seed-{kind}")
    ).json()
    done = 0
    while job["status"] == "running":
        await asyncio.sleep(0.1)
        job = (await api.get("enrollment", f"/enrollment/v1/imports/{job['job_id']}", admin)).json()
        if progress and job["rows_done"] > done:
            progress.advance(job["rows_done"] - done)
            done = job["rows_done"]
    if job["status"] != "succeeded":
        raise RuntimeError(f"importing {kind} of {school_id} failed: {job.get('report')}")
    if progress and job["rows_total"] > done:
        progress.advance(job["rows_total"] - done)


async def _all(calls: Iterable[Awaitable[None]]) -> None:
    await asyncio.gather(*calls)


@dataclass(frozen=True)
class KioskPost:
    """One check-in as a kiosk posts it."""

    school_id: str
    device_id: str
    student_id: str
    occurred_at: datetime
    method: str

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        return {
            "student_id": self.student_id,
            "occurred_at": self.occurred_at.isoformat(),
            "device_id": self.device_id,
            "method": self.method,
        }

    def batch_event(self) -> dict[str, Any]:
        """The JSON of this check-in inside a batch upload (the device id is the batch's)."""
        return {"student_id": self.student_id, "occurred_at": self.occurred_at.isoformat(), "method": self.method}

    def key(self) -> str:
        """The Idempotency-Key the kiosk sends (and resends on a retry)."""
        return f"{self.device_id}:{self.student_id}:{self.occurred_at.isoformat()}"


def afternoon(
    district: District,
    day: date,
    *,
    attendance: float = 0.9,
    seed: int = 7,
    start_at: time = time(16, 0),
    minutes: int = 30,
) -> list[KioskPost]:
    """Kiosk check-ins in the `minutes` from `start_at` school time; each child at most once, in device-time order."""
    rng = random.Random(seed)
    start = datetime.combine(day, start_at, SCHOOL_TZ)
    posts = []
    for school in district.schools:
        for student in school.students:
            if rng.random() < attendance:
                posts.append(
                    KioskPost(
                        school.school_id,
                        rng.choice(school.kiosks),
                        student.student_id,
                        start + timedelta(seconds=rng.randrange(minutes * 60)),
                        rng.choice(("card", "qr", "face")),
                    )
                )
    return sorted(posts, key=lambda p: p.occurred_at)
