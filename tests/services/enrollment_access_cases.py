"""Two districts seeded through enrollment's real API, for the every-route isolation test.

District d1 has schools `one` (everything every route touches) and `two`; district d2 has `three`. In `one`,
class A (teacher `one-ta`) holds the children of family A (guardian `one-mum`), class B (teacher `one-tb`) the
child of family B (guardian `one-dad`). Every code, stored id and name of `one` is listed in `SECRET_IDS` and
`SECRET_TEXT`, so a test can check a foreign caller's answer names none of them. Tokens name stored ids (issue 11).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from chassis.auth import Role
from services.enrollment.domain.imports import new_id
from tests.conftest import auth
from tests.services.enrollment_school import homework_supervision, scoped

V1 = "/enrollment/v1"
S1, S2, S3 = "one", "two", "three"
TERM = "one-term"
OPERATOR_D1 = auth(Role.DISTRICT_OPERATOR, "op-d1", district="d1")
OPERATOR_D2 = auth(Role.DISTRICT_OPERATOR, "op-d2", district="d2")
ADMIN = auth(Role.SCHOOL_ADMIN, "one-admin", school=S1)
TEACHER_A = auth(Role.CLASS_TEACHER, scoped("staff", "one-ta", S1), school=S1)
MUM = auth(Role.GUARDIAN, scoped("guardian", "one-mum", S1), school=S1)  # family A

# The foreign callers: each must get nothing of school `one` (or of family A / class A) from any route.
FOREIGN: dict[str, dict[str, str]] = {
    "s2-admin": auth(Role.SCHOOL_ADMIN, "two-admin", school=S2),
    # The same guardian id, bound to another school.
    "s2-guardian": auth(Role.GUARDIAN, scoped("guardian", "one-mum", S1), school=S2),
    "s2-teacher": auth(Role.CLASS_TEACHER, scoped("staff", "one-ta", S1), school=S2),
    "d2-operator": auth(Role.DISTRICT_OPERATOR, "op-d2", district="d2"),
    "other-family": auth(Role.GUARDIAN, scoped("guardian", "one-dad", S1), school=S1),  # family B of the same school
    # The class teacher of class B.
    "other-class-teacher": auth(Role.CLASS_TEACHER, scoped("staff", "one-tb", S1), school=S1),
    "s2-kiosk": auth(Role.KIOSK, "one-kiosk", school=S2),  # the same device id, bound to another school
    # Creates with `one`'s codes in its own school (issue 11), in a school no other case reads.
    "s3-admin": auth(Role.SCHOOL_ADMIN, "three-admin", school=S3),
}
SCHOOL_CALLERS = ("s2-admin", "s2-guardian", "s2-teacher", "d2-operator")
TAKEN_CALLERS = ("s3-admin", "s2-guardian", "s2-teacher", "d2-operator")
FAMILY_CALLERS = (*SCHOOL_CALLERS, "other-family")
CLASS_CALLERS = (*SCHOOL_CALLERS, "other-class-teacher")
PERSON_CALLERS = (*SCHOOL_CALLERS, "other-family", "other-class-teacher")
GUARDIAN_CALLERS = ("s2-guardian", "other-family")

# Family A's children in class A, one per application step the routes act on.
KIDS = {
    "one-kid-sub": "submitted",
    "one-kid-rev": "reviewed",
    "one-kid-rev2": "reviewed",
    "one-kid-apr": "approved",
    "one-kid-act": "active",
    "one-kid-wdr": "withdrawal_requested",
    "one-kid-wdr2": "withdrawal_requested",
}
HOMEWORK: dict[str, Any] = homework_supervision("one-homework", "秘密作业辅导", TERM)
CLUB: dict[str, Any] = {
    **HOMEWORK,
    "id": "one-club",
    "kind": "club",
    "name": "秘密象棋社",
    "capacity": 1,
    "weekdays": [1],
    "starts_at": "16:00",
    "class_hours": 1,
}
FEE_PLAN = {
    "kind": "per_class_hour",
    "effective_from": "2026-09-01",
    "fen_per_class_hour": 230,
    "max_charged_class_hours_per_day": 2,
}
WAIVER = {"id": "one-waiver", "percent_payable": 0, "valid_from": "2026-09-01", "reason": "秘密困难"}
CLASSES_CSV = "班级编号,年级,班级名称\none-cc,5,秘密五年级1班\n"


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] = ADMIN,
    status: int | tuple[int, ...] = (200, 201, 202),
) -> Any:
    """Call `/enrollment/v1{path}` as the owner and insist it worked; its JSON."""
    response = await client.request(method, f"{V1}{path}", json=body, headers=headers)
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def seed(client: httpx.AsyncClient) -> dict[str, str]:
    """Everything every route touches, in school `one`; the generated ids (application, run, import job)."""
    for school, operator in ((S1, OPERATOR_D1), (S2, OPERATOR_D1), (S3, OPERATOR_D2)):
        await send(client, "POST", "/schools", {"id": school, "name": f"秘密{school}小学"}, operator)
    term = {"id": TERM, "name": "秘密秋季学期", "starts_on": "2026-09-01", "ends_on": "2027-01-20"}
    await send(client, "POST", "/terms", term)
    await send(client, "POST", "/terms", {**term, "id": "two-term", "name": "学期"}, FOREIGN["s2-admin"])
    await send(client, "POST", "/grade-bands", {"id": "one-band", "name": "秘密低段", "grades": [1, 2, 3]})
    await send(client, "POST", "/rooms", {"id": "one-room", "name": "秘密教室", "capacity": 30})
    for class_id, grade, staff_id in (("one-ca", 3, "one-ta"), ("one-cb", 4, "one-tb")):
        await send(
            client,
            "POST",
            "/staff",
            {"id": staff_id, "name": f"秘密{staff_id}", "roles": ["class_teacher", "subject_teacher"]},
        )
        name = f"秘密{class_id}" if class_id == "one-ca" else "乙班"  # class B is its own teacher's to see
        await send(client, "POST", "/classes", {"id": class_id, "grade": grade, "name": name})
        await send(client, "PUT", f"/classes/{class_id}/class-teacher", {"staff_id": staff_id})
    await send(client, "POST", "/classes/one-ca/teachings", {"staff_id": "one-tb", "school_subject": "数学"})
    await send(client, "POST", "/staff", {"id": "one-duty", "name": "秘密值班", "roles": ["duty_leader"]})
    await send(client, "PUT", "/duty-roster/2026-11-25", {"staff_ids": ["one-duty"]})
    await send(client, "POST", "/guardians", {"id": "one-mum", "name": "秘密妈妈", "phone": "13912345678"})
    await send(client, "POST", "/guardians", {"id": "one-dad", "name": "乙家爸爸", "phone": "13700000000"})
    family_a = [*KIDS, "one-kid-none", "one-kid-move"]  # without applications: one to apply, one to move
    children = [(kid, "one-ca", "one-mum") for kid in family_a] + [("one-kid-b", "one-cb", "one-dad")]
    for kid, class_id, guardian_id in children:
        name = f"秘密{kid}" if guardian_id == "one-mum" else "乙家孩子"  # family B's child is theirs to see
        body = {"id": kid, "class_id": class_id, "name": name, "priority_groups": ["left_behind"]}
        await send(client, "POST", "/students", body)
        await send(client, "POST", f"/students/{kid}/guardians", {"guardian_id": guardian_id, "relation": "母亲"})
    pickup = {"id": "one-pick", "name": "秘密外婆", "relation": "外婆", "credential_ref": "one-card"}
    await send(client, "POST", "/students/one-kid-sub/pickups", pickup)
    restricted = {"id": "one-restr", "name": "秘密某人", "relation": "父亲", "note": "秘密禁令"}
    await send(client, "POST", "/students/one-kid-sub/restricted-persons", restricted)
    await send(client, "GET", "/students/one-kid-sub/pickups")  # the admin reads the note: a sensitive-read entry
    await send(client, "PUT", "/students/one-kid-sub/walk-home", {"allowed": True}, MUM)
    district = {"effective_from": "2026-09-01", "settings": {"class_hour_minutes": 45}}
    await send(client, "PUT", "/policy-profiles/district", district, OPERATOR_D1)
    await send(client, "PUT", "/policy-profiles/school", {"effective_from": "2026-09-01", "overrides": {}})
    await send(client, "POST", "/programs", HOMEWORK)
    await send(client, "POST", "/programs", CLUB)
    await send(client, "PUT", "/programs/one-homework/fee-plan", FEE_PLAN)
    await send(client, "POST", "/students/one-kid-sub/fee-waivers", WAIVER)
    ids: dict[str, str] = {}
    for kid, step in KIDS.items():
        body = {"id": f"app-{kid}", "student_id": kid, "term_id": TERM, "club_choices": ["one-club"]}
        application_id = (await send(client, "POST", "/applications", body, MUM))["application_id"]
        ids[kid.removeprefix("one-kid-")] = application_id
        path = f"/applications/{application_id}"
        if step == "submitted":
            continue
        await send(client, "POST", f"{path}/review", {}, TEACHER_A)
        if step == "reviewed":
            continue
        await send(client, "POST", f"{path}/approval", {})
        if step == "approved":
            continue
        await send(client, "POST", f"{path}/agreement", {}, MUM)
        if step == "withdrawal_requested":
            await send(client, "POST", f"{path}/withdrawal", {"effective_on": "2026-11-30", "reason": "秘密搬家"}, MUM)
    await send(client, "POST", "/programs/one-club/places", {"student_id": "one-kid-act"})
    await send(client, "POST", "/programs/one-club/places", {"student_id": "one-kid-apr", "waitlist_if_full": True})
    ids["run"] = (await send(client, "POST", "/allocation-runs", {"term_id": TERM, "seed": 7}))["run_id"]
    upload = await client.post(
        f"{V1}/imports?kind=classes", content=CLASSES_CSV.encode(), headers={**ADMIN, "Content-Type": "text/csv"}
    )
    assert upload.status_code in (200, 201, 202), upload.text
    ids["job"] = upload.json()["job_id"]
    for _ in range(200):  # the job runs in the background: its class must be in before the cases count the outbox
        if (await send(client, "GET", f"/imports/{ids['job']}"))["status"] != "running":
            return ids
        await asyncio.sleep(0.05)
    raise AssertionError("the seed's import job never finished")


KIOSK = auth(Role.KIOSK, "one-kiosk", school=S1)
MATHS_B = auth(Role.SUBJECT_TEACHER, scoped("staff", "one-tb", S1), school=S1)  # teaches 数学 to class A
OWNERS = {
    "admin": ADMIN,
    "mum": MUM,
    "teacher-a": TEACHER_A,
    "operator-d1": OPERATOR_D1,
    "kiosk": KIOSK,
    "maths-b": MATHS_B,
}

# Every code school `one` gave a row, with the row's kind (EN-8/issue 11: its stored id derives from both).
CODES: dict[str, str] = {
    TERM: "term",
    "one-band": "band",
    "one-room": "room",
    **dict.fromkeys(("one-ta", "one-tb", "one-duty"), "staff"),
    **dict.fromkeys(("one-ca", "one-cb", "one-cc"), "class"),
    **dict.fromkeys(("one-mum", "one-dad"), "guardian"),
    **dict.fromkeys((*KIDS, "one-kid-none", "one-kid-move", "one-kid-b"), "student"),
    **dict.fromkeys(("one-homework", "one-club"), "program"),
    "one-waiver": "waiver",
    **{f"app-{kid}": "application" for kid in KIDS},
}


def both(*codes: str) -> set[str]:
    """School `one`'s codes and the stored ids they give."""
    return {*codes, *(scoped(CODES[code], code, S1) for code in codes)}


# Pickup persons' stored ids are derived per child (the child's stored id is part of the key).
PICKUP_IDS = tuple(new_id(S1, "pickup", scoped("student", "one-kid-sub", S1), p) for p in ("one-pick", "one-restr"))
# Every id and name of school `one`, as they would appear in a JSON answer (quoted, so a problem that echoes the
# requested path is not mistaken for a leak); every name of `one` contains 秘密.
SECRET_IDS = (
    S1,
    *sorted(both(*CODES)),
    "one-pick",
    "one-restr",
    *PICKUP_IDS,
    "one-card",
    "one-admin",
    "d1",
)
SECRET_TEXT = ("秘密", "13912345678")


# What school `one`'s other family and other class teacher may see of their own (family B, class B).
THEIRS: dict[str, set[str]] = {
    "other-family": {S1, *both("one-cb", "one-kid-b", "one-dad", "one-term", "one-homework", "one-club")},
    "other-class-teacher": {S1, *both("one-cb", "one-kid-b", "one-dad", "one-tb", "one-term")},
}


def leaks(text: str, ids: dict[str, str], caller: str = "") -> list[str]:
    """The pieces of school `one` (beyond what `caller` may see of their own) an answer names."""
    quoted = [f'"{i}"' for i in (*SECRET_IDS, *ids.values()) if i not in THEIRS.get(caller, set())]
    return [piece for piece in (*quoted, *SECRET_TEXT) if piece in text]


@dataclass(frozen=True)
class Case:
    """One route, filled with school `one`'s ids, a body valid for its owner, and who must get nothing from it."""

    method: str
    template: str  # as in the OpenAPI, without the /enrollment/v1 prefix
    path: str  # `{application:<step>}`, `{run}` and `{job}` are filled from the seeded ids
    body: Any = None
    callers: tuple[str, ...] = SCHOOL_CALLERS
    # A list answers every caller with *their own* rows: 200 is fine as long as none of `one`'s are in it.
    listing: bool = False
    # A guardian's body, where a guardian says less than the admin (walk-home: they speak for themself).
    guardian_body: Any = None
    # A creation reusing a code `one` already holds: another school's admin creates it in their own school (201; a
    # 409 would tell them `one` uses the code, issue 11), or is refused for their own school's reasons (422).
    taken: bool = False
    owner: str = "admin"  # who the body is valid for (see OWNERS)

    @property
    def key(self) -> tuple[str, str]:
        """(METHOD, OpenAPI path)."""
        return self.method, V1 + self.template

    def url(self, ids: dict[str, str]) -> str:
        """The path with the seeded ids."""
        return V1 + self.path.format(**{k.replace("-", "_"): v for k, v in ids.items()})


A = "/applications/{application_id}"
KID = "/students/one-kid-sub"
MOVE = "/students/one-kid-move"  # transferred, then leaves: no other case needs them
TERM_FIELDS = {"name": "新学期", "starts_on": "2026-09-01", "ends_on": "2027-01-20"}
PROGRAM_FIELDS = {k: v for k, v in HOMEWORK.items() if k not in ("id", "term_id", "kind")} | {"name": "作业"}
CASES: tuple[Case, ...] = (
    # Roster (EN-8, BX-2, AT-5).
    Case("GET", "/classes", "/classes", callers=PERSON_CALLERS, listing=True),
    Case("POST", "/classes", "/classes", {"id": "one-ca", "grade": 3, "name": "三年级"}, TAKEN_CALLERS, taken=True),
    Case("POST", "/students", "/students", {"id": "x-kid", "class_id": "one-ca", "name": "新生"}),
    Case("GET", "/students", "/students?class_id=one-ca", callers=PERSON_CALLERS, listing=True),
    Case("GET", "/students/{student_id}", KID, callers=PERSON_CALLERS),
    Case("GET", "/kiosk/roster", "/kiosk/roster", callers=(*PERSON_CALLERS, "s2-kiosk"), listing=True, owner="kiosk"),
    Case("GET", "/roster", "/roster?class_id=one-ca", callers=PERSON_CALLERS, listing=True, owner="maths-b"),
    Case("POST", "/students/{student_id}/transfer", f"{MOVE}/transfer", {"to_class_id": "one-cb"}, PERSON_CALLERS),
    Case("POST", "/students/{student_id}/leave", f"{MOVE}/leave", {}, PERSON_CALLERS),
    Case(
        "PUT",
        "/students/{student_id}/priority-groups",
        f"{KID}/priority-groups",
        {"priority_groups": ["migrant_worker"]},
        PERSON_CALLERS,
    ),
    Case(
        "POST",
        "/guardians",
        "/guardians",
        {"id": "one-mum", "name": "妈妈", "phone": "13800000000"},
        TAKEN_CALLERS,
        taken=True,
    ),
    Case("GET", "/guardians/{guardian_id}", "/guardians/one-mum", callers=PERSON_CALLERS),
    Case("GET", "/me/children", "/me/children", callers=PERSON_CALLERS, listing=True, owner="mum"),
    Case("GET", "/me/export", "/me/export", callers=PERSON_CALLERS, listing=True, owner="mum"),
    Case("GET", "/me/classes", "/me/classes", callers=SCHOOL_CALLERS, listing=True, owner="teacher-a"),
    Case(
        "POST",
        "/students/{student_id}/guardians",
        f"{KID}/guardians",
        {"guardian_id": "one-dad", "relation": "父亲"},
        PERSON_CALLERS,
    ),
    Case("DELETE", "/students/{student_id}/guardians/{guardian_id}", f"{KID}/guardians/one-dad", None, PERSON_CALLERS),
    Case("GET", "/students/{student_id}/pickups", f"{KID}/pickups", callers=PERSON_CALLERS),
    Case(
        "POST",
        "/students/{student_id}/pickups",
        f"{KID}/pickups",
        {"id": "x-pick", "name": "姑姑", "relation": "姑姑", "credential_ref": "x-card"},
        PERSON_CALLERS,
    ),
    Case("DELETE", "/students/{student_id}/pickups/{person_id}", f"{KID}/pickups/one-pick", None, PERSON_CALLERS),
    Case(
        "POST",
        "/students/{student_id}/restricted-persons",
        f"{KID}/restricted-persons",
        {"id": "x-restr", "name": "某人", "relation": "叔叔", "note": "法院禁令"},
        PERSON_CALLERS,
    ),
    Case(
        "PUT",
        "/students/{student_id}/walk-home",
        f"{KID}/walk-home",
        {"allowed": False, "guardian_id": "one-mum"},
        PERSON_CALLERS,
        guardian_body={"allowed": False},
    ),
    # Set-up (EN-5, HW-4).
    Case("POST", "/terms", "/terms", {"id": TERM, **TERM_FIELDS}, TAKEN_CALLERS, taken=True),
    Case("GET", "/terms", "/terms", listing=True),
    Case("PUT", "/terms/{term_id}", f"/terms/{TERM}", TERM_FIELDS),
    Case("GET", "/terms/{term_id}", f"/terms/{TERM}"),
    Case("GET", "/terms/{term_id}/calendar", f"/terms/{TERM}/calendar?from=2026-09-01&to=2026-09-30"),
    Case(
        "POST",
        "/grade-bands",
        "/grade-bands",
        {"id": "one-band", "name": "低段", "grades": [1, 2, 3]},
        TAKEN_CALLERS,
        taken=True,
    ),
    Case("GET", "/grade-bands", "/grade-bands", listing=True),
    Case("PUT", "/grade-bands/{band_id}", "/grade-bands/one-band", {"name": "低段", "grades": [1, 2]}),
    Case("POST", "/rooms", "/rooms", {"id": "one-room", "name": "教室", "capacity": 30}, TAKEN_CALLERS, taken=True),
    Case("GET", "/rooms", "/rooms", listing=True),
    Case("PUT", "/rooms/{room_id}", "/rooms/one-room", {"name": "教室", "capacity": 20}),
    Case(
        "POST",
        "/staff",
        "/staff",
        {"id": "one-ta", "name": "老师", "roles": ["class_teacher"]},
        TAKEN_CALLERS,
        taken=True,
    ),
    Case("GET", "/staff", "/staff", listing=True),
    Case("PUT", "/staff/{staff_id}", "/staff/one-ta", {"name": "老师", "roles": ["class_teacher", "subject_teacher"]}),
    Case("GET", "/staff/{staff_id}", "/staff/one-ta"),
    Case("PUT", "/classes/{class_id}/class-teacher", "/classes/one-ca/class-teacher", {"staff_id": "one-ta"}),
    Case("GET", "/classes/{class_id}/class-teacher", "/classes/one-ca/class-teacher"),
    Case(
        "POST",
        "/classes/{class_id}/teachings",
        "/classes/one-ca/teachings",
        {"staff_id": "one-ta", "school_subject": "语文"},
    ),
    Case("GET", "/classes/{class_id}/teachings", "/classes/one-ca/teachings"),
    # The duty roster (AT-6).
    Case("PUT", "/duty-roster/{day}", "/duty-roster/2026-11-25", {"staff_ids": ["one-duty"]}),
    Case("GET", "/duty-roster", "/duty-roster?from=2026-11-01&to=2026-11-30", listing=True),
    Case("GET", "/sensitive-reads", "/sensitive-reads?student_id=one-kid-sub", listing=True),
    Case("DELETE", "/duty-roster/{day}", "/duty-roster/2026-11-25"),
    Case(
        "DELETE",
        "/classes/{class_id}/teachings/{staff_id}/{school_subject}",
        "/classes/one-ca/teachings/one-tb/数学",
    ),
    # Policy profiles (PL-1, PL-2): a district operator reads only their district, a school only itself.
    Case("GET", "/policy-profiles/district", "/policy-profiles/district", listing=True, owner="operator-d1"),
    Case("GET", "/policy-profiles/in-force", f"/policy-profiles/in-force?on=2026-09-01&school_id={S1}", listing=True),
    Case("GET", "/policy-profiles/history", f"/policy-profiles/history?school_id={S1}", listing=True),
    Case("GET", "/policy-profiles/audit", f"/policy-profiles/audit?school_id={S1}", listing=True),
    # Programs, places and fees (EN-3, EN-4, EN-7, BX-1).
    Case("POST", "/programs", "/programs", {**HOMEWORK, "name": "作业辅导"}, TAKEN_CALLERS, taken=True),
    Case("GET", "/programs", f"/programs?term_id={TERM}", listing=True),
    Case("PUT", "/programs/{program_id}", "/programs/one-homework", PROGRAM_FIELDS),
    Case("GET", "/programs/{program_id}", "/programs/one-homework"),
    Case("GET", "/programs/{program_id}/places", "/programs/one-club/places"),
    Case("DELETE", "/programs/{program_id}/places/{student_id}", "/programs/one-club/places/one-kid-act"),
    Case(
        "POST",
        "/programs/{program_id}/places",
        "/programs/one-club/places",
        {"student_id": "one-kid-act", "waitlist_if_full": True},
    ),
    Case("GET", "/programs/{program_id}/waitlist", "/programs/one-club/waitlist"),
    Case("POST", "/allocation-runs", "/allocation-runs", {"term_id": TERM, "seed": 8}),
    Case("GET", "/allocation-runs/{run_id}", "/allocation-runs/{run}"),
    Case("PUT", "/programs/{program_id}/fee-plan", "/programs/one-homework/fee-plan", FEE_PLAN),
    Case("GET", "/programs/{program_id}/fee-plans", "/programs/one-homework/fee-plans"),
    Case(
        "POST",
        "/students/{student_id}/fee-waivers",
        f"{KID}/fee-waivers",
        {**WAIVER, "id": "x-waiver", "reason": "困难"},
        PERSON_CALLERS,
    ),
    Case("GET", "/students/{student_id}/fee-waivers", f"{KID}/fee-waivers", callers=PERSON_CALLERS),
    Case(
        "POST",
        "/students/{student_id}/fee-waivers/{waiver_id}/revoke",
        f"{KID}/fee-waivers/one-waiver/revoke",
        {},
        PERSON_CALLERS,
    ),
    # Applications (EN-1, EN-2): a guardian only for their own children, a class teacher only their class.
    Case(
        "POST",
        "/applications",
        "/applications",
        {"student_id": "one-kid-none", "term_id": TERM},
        PERSON_CALLERS,
        owner="mum",
    ),
    Case("GET", "/applications", f"/applications?term_id={TERM}", callers=PERSON_CALLERS, listing=True),
    Case("GET", "/applications/{application_id}", A.format(application_id="{act}"), callers=PERSON_CALLERS),
    Case("POST", A + "/review", A.format(application_id="{sub}") + "/review", {}, PERSON_CALLERS, owner="teacher-a"),
    Case("POST", A + "/approval", A.format(application_id="{rev}") + "/approval", {}, PERSON_CALLERS),
    Case(
        "POST", A + "/rejection", A.format(application_id="{rev2}") + "/rejection", {"reason": "不符"}, PERSON_CALLERS
    ),
    Case("POST", A + "/agreement", A.format(application_id="{apr}") + "/agreement", {}, PERSON_CALLERS, owner="mum"),
    Case(
        "POST",
        A + "/withdrawal",
        A.format(application_id="{act}") + "/withdrawal",
        {"effective_on": "2026-11-30", "reason": "搬家"},
        PERSON_CALLERS,
        owner="mum",
    ),
    Case(
        "POST",
        A + "/withdrawal/approval",
        A.format(application_id="{wdr}") + "/withdrawal/approval",
        {},
        PERSON_CALLERS,
    ),
    Case(
        "POST",
        A + "/withdrawal/refusal",
        A.format(application_id="{wdr2}") + "/withdrawal/refusal",
        {"reason": "请先结清"},
        PERSON_CALLERS,
    ),
    Case(
        "POST",
        "/declines",
        "/declines",
        {"student_id": "one-kid-none", "term_id": TERM, "reason": "家中有人接送"},
        PERSON_CALLERS,
        owner="mum",
    ),
    Case("GET", "/imports/{job_id}", "/imports/{job}"),
    # Last, because the owner's cancellation ends the program the cases above use.
    Case("POST", "/programs/{program_id}/cancellation", "/programs/one-homework/cancellation", {}),
)
