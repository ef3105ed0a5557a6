"""School set-up on the real stack (EN-5, AT-4, AT-6, EN-1, HW-4): terms and calendar, grade bands, rooms, staff,
class teachers and teaching, each announced on `enrollment.events` with the right key, and private to the school."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chassis.auth import Role
from contracts.envelope import Envelope
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, OPERATOR, YUCAI_ADMIN, call, register_two_schools, scoped

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

LI, WANG, G3C1 = scoped("staff", "li"), scoped("staff", "wang"), scoped("class", "g3c1")
TEACHER = auth(Role.CLASS_TEACHER, LI, school="shiyan")
YUCAI_TEACHER = auth(Role.SERVICE_TEACHER, "wu", school="yucai")
MUM = auth(Role.GUARDIAN, "mum", school="shiyan")

AUTUMN = {
    "id": "2026-autumn",
    "name": "2026年秋季学期",
    "starts_on": "2026-09-01",
    "ends_on": "2027-01-15",
    "holidays": ["2026-10-01", "2026-10-02"],  # 国庆 (Thursday, Friday)
    "makeup_days": ["2026-09-27"],  # a Sunday worked in exchange
    "winter_from": "2026-11-15",
    "winter_to": "2027-01-15",
}


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 (shiyan) and 育才小学 (yucai) of district d1, and 实验小学's class 三年级1班."""
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await register_two_schools(client)
        await call(client, "POST", "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"}, ADMIN, 201)
        yield client


async def events_of(client: ServiceClient, count: int) -> list[Envelope]:
    """Everything the service published, expecting `count` events (3 come from the fixture)."""
    found = await read_topic(client.prefix, "enrollment.events", count=count)
    assert len(found) == count, [e.type for e in found]
    return found


async def test_en5_a_term_calendar_is_set_changed_and_announced_keyed_by_school(enrollment: ServiceClient) -> None:
    """EN-5: holidays, make-up days and the winter period; a change is announced again and replaces the first."""
    created = await call(enrollment, "POST", "/terms", AUTUMN, status=201)
    assert created["holidays"] == ["2026-10-01", "2026-10-02"]
    changed = {k: v for k, v in AUTUMN.items() if k != "id"} | {"holidays": ["2026-10-01"]}
    await call(enrollment, "PUT", "/terms/2026-autumn", changed)
    assert (await call(enrollment, "GET", "/terms/2026-autumn", headers=TEACHER))["holidays"] == ["2026-10-01"]

    terms = [e for e in await events_of(enrollment, 5) if e.type == "enrollment.term_calendar_set.v1"]
    assert [(e.subject, e.schoolid) for e in terms] == [("shiyan", "shiyan")] * 2
    assert terms[1].data == {
        "term_id": scoped("term", "2026-autumn"),
        "school_id": "shiyan",
        "name": "2026年秋季学期",
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-15",
        "holidays": ["2026-10-01"],
        "makeup_days": ["2026-09-27"],
        "winter_from": "2026-11-15",
        "winter_to": "2027-01-15",
    }


async def test_en5_the_calendar_view_gives_each_days_kind_and_the_winter_timetable(
    enrollment: ServiceClient,
) -> None:
    await call(enrollment, "POST", "/terms", AUTUMN, status=201)
    view = await call(enrollment, "GET", "/terms/2026-autumn/calendar?from=2026-09-26&to=2026-10-02", headers=TEACHER)
    assert [(d["day"], d["kind"]) for d in view["days"]] == [
        ("2026-09-26", "weekend"),
        ("2026-09-27", "school_day"),  # the make-up Sunday
        ("2026-09-28", "school_day"),
        ("2026-09-29", "school_day"),
        ("2026-09-30", "school_day"),
        ("2026-10-01", "holiday"),
        ("2026-10-02", "holiday"),
    ]
    winter = await call(enrollment, "GET", "/terms/2026-autumn/calendar?from=2026-11-13&to=2026-11-16")
    assert [(d["kind"], d["winter"]) for d in winter["days"]] == [
        ("school_day", False),
        ("weekend", False),
        ("weekend", False),
        ("school_day", True),
    ]
    whole = await call(enrollment, "GET", "/terms/2026-autumn/calendar")
    assert len(whole["days"]) == 137
    after = await call(enrollment, "GET", "/terms/2026-autumn/calendar?from=2027-01-15&to=2027-01-16")
    assert [d["kind"] for d in after["days"]] == ["school_day", "vacation"]
    problem = await call(enrollment, "GET", "/terms/2026-autumn/calendar?from=2026-10-02&to=2026-10-01", status=422)
    assert problem["rule"] == "EN-5"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2026-08-31"}, "ends_on"),
        ({"holidays": ["2027-02-01"]}, "holidays"),
        ({"holidays": ["2026-10-03"]}, "holidays"),  # a Saturday
        ({"makeup_days": ["2026-09-28"]}, "makeup_days"),  # a Monday
        ({"winter_from": "2026-08-15"}, "winter_from"),
        ({"winter_to": None}, "winter_to"),
    ],
)
async def test_en5_a_term_breaking_the_calendar_rules_is_refused_and_changes_nothing(
    enrollment: ServiceClient, change: dict[str, object], field: str
) -> None:
    problem = await call(enrollment, "POST", "/terms", AUTUMN | change, status=422)
    assert (problem["rule"], problem["field"]) == ("EN-5", field)
    assert (await call(enrollment, "GET", "/terms"))["items"] == []


async def test_en5_terms_do_not_overlap_and_are_listed_page_by_page(enrollment: ServiceClient) -> None:
    await call(enrollment, "POST", "/terms", AUTUMN, status=201)
    spring = {"id": "2027-spring", "name": "2027年春季学期", "starts_on": "2027-02-20", "ends_on": "2027-07-01"}
    await call(enrollment, "POST", "/terms", spring, status=201)
    overlapping = spring | {"id": "overlap", "starts_on": "2027-01-10"}
    assert (await call(enrollment, "POST", "/terms", overlapping, status=422))["rule"] == "EN-5"
    await call(enrollment, "POST", "/terms", AUTUMN, status=409)
    first = await call(enrollment, "GET", "/terms?limit=1")
    second = await call(enrollment, "GET", f"/terms?limit=1&after={first['next']}")
    assert [t["term_id"] for t in first["items"] + second["items"]] == sorted(
        scoped("term", code) for code in ("2026-autumn", "2027-spring")
    )
    assert second["next"] is None


async def test_at4_grade_bands_never_share_a_grade(enrollment: ServiceClient) -> None:
    await call(enrollment, "POST", "/grade-bands", {"id": "low", "name": "低年级", "grades": [2, 1]}, status=201)
    await call(enrollment, "POST", "/grade-bands", {"id": "mid", "name": "中年级", "grades": [3, 4]}, status=201)
    clash = await call(enrollment, "POST", "/grade-bands", {"name": "x", "grades": [4, 5]}, status=422)
    assert (clash["rule"], clash["field"]) == ("AT-4", "grades")
    assert (await call(enrollment, "POST", "/grade-bands", {"name": "x", "grades": [10]}, status=422))["rule"] == "AT-4"
    await call(enrollment, "PUT", "/grade-bands/mid", {"name": "中年级", "grades": [3, 4, 5]})  # its own grades: fine
    bands = await call(enrollment, "GET", "/grade-bands", headers=TEACHER)
    assert [(b["band_id"], b["external_id"], b["grades"]) for b in bands["items"]] == sorted(
        [(scoped("band", "low"), "low", [1, 2]), (scoped("band", "mid"), "mid", [3, 4, 5])]
    )

    defined = [e for e in await events_of(enrollment, 6) if e.type == "enrollment.grade_band_defined.v1"]
    assert [(e.subject, e.data["band_id"], e.data["grades"]) for e in defined] == [
        ("shiyan", scoped("band", "low"), [1, 2]),
        ("shiyan", scoped("band", "mid"), [3, 4]),
        ("shiyan", scoped("band", "mid"), [3, 4, 5]),
    ]


async def test_at6_rooms_flag_the_reception_room_and_staff_hold_roles(enrollment: ServiceClient) -> None:
    room = {"id": "jiedai", "name": "接待室", "capacity": 20, "is_reception": True}
    await call(enrollment, "POST", "/rooms", room, status=201)
    listed = {
        "room_id": scoped("room", "jiedai"),
        "external_id": "jiedai",
        "school_id": "shiyan",
        "name": "接待室",
        "capacity": 20,
        "is_reception": True,
    }
    assert (await call(enrollment, "GET", "/rooms", headers=TEACHER))["items"] == [listed]
    coach = {"id": "coach", "name": "足球教练", "roles": ["external_provider", "service_teacher"], "external": True}
    await call(enrollment, "POST", "/staff", coach, status=201)
    not_a_class_teacher = coach | {"id": "x", "roles": ["external_provider", "class_teacher"]}
    assert (await call(enrollment, "POST", "/staff", not_a_class_teacher, status=422))["field"] == "roles"
    staff = await call(enrollment, "GET", "/staff/coach", headers=TEACHER)
    assert (staff["roles"], staff["external"]) == (["external_provider", "service_teacher"], True)

    events = [e for e in await events_of(enrollment, 5) if e.subject == "shiyan"]  # one key: one order
    assert [e.type for e in events] == [
        "enrollment.school_registered.v1",
        "enrollment.room_defined.v1",
        "enrollment.staff_member_registered.v1",
    ]
    assert events[-1].data == {
        "staff_id": scoped("staff", "coach"),
        "school_id": "shiyan",
        "roles": ["external_provider", "service_teacher"],
        "external": True,
    }


async def test_en1_the_class_teacher_must_hold_the_role_and_is_announced_keyed_by_class(
    enrollment: ServiceClient,
) -> None:
    await call(enrollment, "POST", "/staff", {"id": "li", "name": "李老师", "roles": ["class_teacher"]}, status=201)
    await call(enrollment, "POST", "/staff", {"id": "wang", "name": "王老师", "roles": ["subject_teacher"]}, status=201)
    refused = await call(enrollment, "PUT", "/classes/g3c1/class-teacher", {"staff_id": "wang"}, status=422)
    assert (refused["rule"], refused["field"]) == ("EN-1", "staff_id")
    await call(enrollment, "GET", "/classes/g3c1/class-teacher", status=404)
    await call(enrollment, "PUT", "/classes/g3c1/class-teacher", {"staff_id": "li"})
    await call(enrollment, "PUT", "/classes/g3c1/class-teacher", {"staff_id": "li"})  # the same again: no new event
    assert (await call(enrollment, "GET", "/classes/g3c1/class-teacher", headers=TEACHER))["staff_id"] == LI
    still_leads = {"name": "李老师", "roles": ["subject_teacher"]}
    await call(enrollment, "PUT", "/staff/li", still_leads, status=409)  # the role is in use

    assigned = [e for e in await events_of(enrollment, 6) if e.type == "enrollment.class_teacher_assigned.v1"]
    assigned_li = {"class_id": G3C1, "school_id": "shiyan", "staff_id": LI}
    assert [(e.subject, e.data) for e in assigned] == [(G3C1, assigned_li)]


async def test_hw4_teaching_is_assigned_and_unassigned_keyed_by_class(enrollment: ServiceClient) -> None:
    await call(enrollment, "POST", "/staff", {"id": "wang", "name": "王老师", "roles": ["subject_teacher"]}, status=201)
    await call(enrollment, "POST", "/staff", {"id": "li", "name": "李老师", "roles": ["class_teacher"]}, status=201)
    body = {"staff_id": "wang", "school_subject": "数学"}
    await call(enrollment, "POST", "/classes/g3c1/teachings", body, status=201)
    await call(enrollment, "POST", "/classes/g3c1/teachings", body, status=201)  # already so: no second event
    await call(enrollment, "POST", "/classes/g3c1/teachings", body | {"school_subject": "语文"}, status=201)
    refused = await call(enrollment, "POST", "/classes/g3c1/teachings", body | {"staff_id": "li"}, status=422)
    assert refused["rule"] == "HW-4"
    first = await call(enrollment, "GET", "/classes/g3c1/teachings?limit=1", headers=TEACHER)
    second = await call(enrollment, "GET", f"/classes/g3c1/teachings?limit=1&after={first['next']}", headers=TEACHER)
    assert [t["school_subject"] for t in first["items"] + second["items"]] == ["数学", "语文"]
    await call(enrollment, "DELETE", "/classes/g3c1/teachings/wang/数学")
    await call(enrollment, "DELETE", "/classes/g3c1/teachings/wang/数学", status=404)

    taught = [e for e in await events_of(enrollment, 8) if e.subject == G3C1 and "teaching" in e.type]
    assert [(e.type, e.data["school_subject"]) for e in taught] == [
        ("enrollment.teaching_assigned.v1", "数学"),
        ("enrollment.teaching_assigned.v1", "语文"),
        ("enrollment.teaching_unassigned.v1", "数学"),
    ]


async def _set_up_shiyan(client: ServiceClient) -> None:
    await call(client, "POST", "/terms", AUTUMN, status=201)
    await call(client, "POST", "/grade-bands", {"id": "low", "name": "低年级", "grades": [1, 2]}, status=201)
    await call(client, "POST", "/rooms", {"id": "r101", "name": "101", "capacity": 40}, status=201)
    await call(client, "POST", "/staff", {"id": "li", "name": "李老师", "roles": ["class_teacher"]}, status=201)
    await call(client, "POST", "/staff", {"id": "wang", "name": "王老师", "roles": ["subject_teacher"]}, status=201)
    await call(client, "PUT", "/classes/g3c1/class-teacher", {"staff_id": "li"})
    await call(client, "POST", "/classes/g3c1/teachings", {"staff_id": "wang", "school_subject": "数学"}, status=201)


INTRUSIONS = [
    ("GET", "/terms/2026-autumn", None),
    ("GET", "/terms/2026-autumn/calendar", None),
    ("PUT", "/terms/2026-autumn", {k: v for k, v in AUTUMN.items() if k != "id"}),
    ("PUT", "/grade-bands/low", {"name": "x", "grades": [1]}),
    ("PUT", "/rooms/r101", {"name": "x", "capacity": 1}),
    ("GET", "/staff/li", None),
    ("PUT", "/staff/li", {"name": "x", "roles": ["class_teacher"]}),
    ("GET", "/classes/g3c1/class-teacher", None),
    ("PUT", "/classes/g3c1/class-teacher", {"staff_id": "li"}),
    ("GET", "/classes/g3c1/teachings", None),
    ("POST", "/classes/g3c1/teachings", {"staff_id": "wang", "school_subject": "语文"}),
    ("DELETE", "/classes/g3c1/teachings/wang/数学", None),
]


async def test_another_schools_staff_get_nothing_from_any_set_up_route(enrollment: ServiceClient) -> None:
    """育才小学's admin and teachers get 404 (or empty lists) for everything of 实验小学, and change nothing."""
    await _set_up_shiyan(enrollment)
    for method, path, body in INTRUSIONS:
        headers = YUCAI_ADMIN if method != "GET" else YUCAI_TEACHER
        await call(enrollment, method, path, body, headers=headers, status=404)
        if method == "GET":
            await call(enrollment, method, path, body, headers=YUCAI_ADMIN, status=404)
    for listing in ("/terms", "/grade-bands", "/rooms", "/staff"):
        assert (await call(enrollment, "GET", listing, headers=YUCAI_ADMIN))["items"] == []
    # a guardian, a district operator and a teacher get no write access to the set-up
    for headers in (MUM, OPERATOR, TEACHER):
        await call(enrollment, "PUT", "/rooms/r101", {"name": "x", "capacity": 1}, headers=headers, status=403)
    await call(enrollment, "GET", "/staff", headers=MUM, status=403)
    assert len(await events_of(enrollment, 10)) == 10  # nothing beyond the fixture's and the set-up's events
    assert (await call(enrollment, "GET", "/rooms"))["items"][0]["capacity"] == 40


async def test_a_teacher_finds_the_classes_they_lead_and_teach(enrollment: ServiceClient) -> None:
    """Issue 12: the teacher's page starts from the caller's own classes (AT-1, AT-3, HW-4), nobody else's."""
    await call(enrollment, "POST", "/classes", {"id": "g4c2", "grade": 4, "name": "四年级2班"}, ADMIN, 201)
    roles = ["class_teacher", "subject_teacher"]
    await call(enrollment, "POST", "/staff", {"id": "li", "name": "李老师", "roles": roles}, status=201)
    await call(enrollment, "POST", "/staff", {"id": "zhao", "name": "赵老师", "roles": roles}, status=201)
    await call(enrollment, "PUT", "/classes/g3c1/class-teacher", {"staff_id": "li"})
    for subject in ("数学", "科学"):
        body = {"staff_id": "li", "school_subject": subject}
        await call(enrollment, "POST", "/classes/g4c2/teachings", body, status=201)
    await call(
        enrollment, "POST", "/classes/g4c2/teachings", {"staff_id": "zhao", "school_subject": "语文"}, status=201
    )

    mine = (await call(enrollment, "GET", "/me/classes", headers=TEACHER))["items"]
    expected = sorted(
        [
            (G3C1, 3, "三年级1班", True, []),
            (scoped("class", "g4c2"), 4, "四年级2班", False, ["数学", "科学"]),
        ]
    )
    assert [(c["class_id"], c["grade"], c["name"], c["leads"], c["subjects"]) for c in mine] == expected
    first = await call(enrollment, "GET", "/me/classes?limit=1", headers=TEACHER)
    assert [c["class_id"] for c in first["items"]] == [expected[0][0]]
    rest = await call(enrollment, "GET", f"/me/classes?limit=1&after={first['next']}", headers=TEACHER)
    assert ([c["class_id"] for c in rest["items"]], rest["next"]) == ([expected[1][0]], None)
    as_subject_teacher = auth(Role.SUBJECT_TEACHER, LI, school="shiyan")
    assert len((await call(enrollment, "GET", "/me/classes", headers=as_subject_teacher))["items"]) == 2
    elsewhere = auth(Role.CLASS_TEACHER, LI, school="yucai")
    assert (await call(enrollment, "GET", "/me/classes", headers=elsewhere))["items"] == []
    await call(enrollment, "GET", "/me/classes", headers=MUM, status=403)
    await call(enrollment, "GET", "/me/classes", headers=ADMIN, status=403)
