"""The application workflow on the real stack (EN-1, EN-2): every step recorded, announced and kept to its people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chassis.auth import Role
from tests.conftest import ServiceClient, auth
from tests.services.conftest import read_topic
from tests.services.enrollment_school import (
    ADMIN,
    INTRUDER,
    TERM,
    add_child,
    add_class,
    approved,
    call,
    club,
    enrollment_school,
    guardian,
    post,
    scoped,
    teacher,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

MUM, LI = guardian("mum"), teacher("teacher-li")
MUM_ID, LI_ID, XIAOMING = scoped("guardian", "mum"), scoped("staff", "teacher-li"), scoped("student", "xiaoming")
SET_UP = 17  # events announcing the fixture's school, term, classes, teachers, children, guardians and club


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 with 三年级1班 (class teacher 李老师: 小明, 小红) and 四年级1班 (王老师: 小刚), and a chess club."""
    async with enrollment_school(pg_url, topic_prefix) as client:
        await add_class(client, "g3c1", 3, "teacher-li")
        await add_class(client, "g4c1", 4, "teacher-wang")
        await add_child(client, "xiaoming", "g3c1", "mum")
        await add_child(client, "xiaohong", "g3c1", "hong-dad")
        await add_child(client, "xiaogang", "g4c1", "gang-mum")
        await post(client, "/programs", club("chess", 10, [1]))
        yield client


def steps(application: dict[str, object]) -> list[tuple[object, ...]]:
    history = application["history"]
    assert isinstance(history, list)
    return [(h["action"], h["step"], h["by"], h["role"], h["reason"]) for h in history]


async def student_events(client: ServiceClient, count: int, student_id: str = XIAOMING) -> list[str]:
    events = await read_topic(client.prefix, "enrollment.events", count=count)
    return [e.type for e in events if e.subject == student_id]


async def test_en_1_apply_review_approve_sign_every_step_recorded_and_announced_in_order(
    enrollment: ServiceClient,
) -> None:
    body = {"id": "app-xiaoming", "student_id": "xiaoming", "term_id": TERM, "club_choices": ["chess"]}
    submitted = await post(enrollment, "/applications", body, MUM)
    assert submitted["step"] == "submitted"
    await post(enrollment, "/applications/app-xiaoming/review", {}, LI, status=200)
    await post(enrollment, "/applications/app-xiaoming/approval", {}, status=200)
    active = await post(enrollment, "/applications/app-xiaoming/agreement", {}, MUM, status=200)

    assert active["step"] == "active"
    assert steps(active) == [
        ("submit", "submitted", MUM_ID, "guardian", None),
        ("review", "reviewed", LI_ID, "class_teacher", None),
        ("approve", "approved", "教务处", "school_admin", None),
        ("sign", "active", MUM_ID, "guardian", None),
    ]
    assert (await call(enrollment, "GET", "/applications/app-xiaoming", headers=LI, status=200)) == active
    events = await read_topic(enrollment.prefix, "enrollment.events", count=SET_UP + 4)
    assert [e.type for e in events if e.subject == XIAOMING][-4:] == [  # keyed by student: in order
        "enrollment.application_submitted.v1",
        "enrollment.application_reviewed.v1",
        "enrollment.application_approved.v1",
        "enrollment.agreement_signed.v1",
    ]
    signed = next(e for e in events if e.type == "enrollment.agreement_signed.v1")
    assert signed.data["active_from"] == "2026-09-01"
    assert signed.data["by"] == MUM_ID
    submitted_event = next(e for e in events if e.type == "enrollment.application_submitted.v1")
    assert submitted_event.data["club_choices"] == [scoped("program", "chess")]
    stored = scoped("application", "app-xiaoming")
    assert (submitted["application_id"], submitted["external_id"]) == (stored, body["id"])


async def test_en_1_each_step_can_reject_with_a_reason_and_the_family_may_apply_again(
    enrollment: ServiceClient,
) -> None:
    first = await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, MUM)
    await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, MUM, status=409)
    rejected = await post(
        enrollment, f"/applications/{first['application_id']}/rejection", {"reason": "请补充监护人签字"}, LI, status=200
    )
    assert rejected["step"] == "rejected"
    assert steps(rejected)[-1] == ("reject", "rejected", LI_ID, "class_teacher", "请补充监护人签字")
    second = await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, MUM)
    await post(enrollment, f"/applications/{second['application_id']}/review", {}, LI, status=200)
    await post(enrollment, f"/applications/{second['application_id']}/rejection", {}, status=422)  # no reason
    await post(enrollment, f"/applications/{second['application_id']}/rejection", {"reason": "名额已满"}, status=200)

    events = await read_topic(enrollment.prefix, "enrollment.events", count=SET_UP + 5)
    rejections = [e.data for e in events if e.type == "enrollment.application_rejected.v1"]
    assert [(r["step"], r["reason"], r["by"]) for r in rejections] == [
        ("submitted", "请补充监护人签字", LI_ID),  # the class review said no
        ("reviewed", "名额已满", "教务处"),  # the school said no
    ]


async def test_en_1_steps_out_of_order_are_409_with_the_current_step_and_the_wrong_person_gets_403(
    enrollment: ServiceClient,
) -> None:
    application = await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, MUM)
    path = f"/applications/{application['application_id']}"
    problem = await post(enrollment, f"{path}/approval", {}, status=409)
    assert problem["step"] == "submitted"
    assert (await post(enrollment, f"{path}/agreement", {}, MUM, status=409))["step"] == "submitted"
    await post(enrollment, f"{path}/review", {}, MUM, status=403)  # a guardian does not review
    await post(enrollment, f"{path}/review", {}, LI, status=200)
    assert (await post(enrollment, f"{path}/review", {}, LI, status=409))["step"] == "reviewed"
    await post(enrollment, f"{path}/approval", {}, LI, status=403)  # the class teacher does not approve
    withdrawal = {"effective_on": "2026-10-01", "reason": "搬家"}
    assert (await post(enrollment, f"{path}/withdrawal", withdrawal, MUM, status=409))["step"] == "reviewed"
    assert (await call(enrollment, "GET", path, headers=MUM, status=200))["step"] == "reviewed"


async def test_en_1_a_guardian_declines_with_a_reason_before_or_instead_of_applying(
    enrollment: ServiceClient,
) -> None:
    never = await post(
        enrollment,
        "/declines",
        {"student_id": "xiaohong", "term_id": TERM, "reason": "家中有人接送"},
        guardian("hong-dad"),
    )
    assert never["step"] == "declined"
    assert steps(never) == [("decline", "declined", scoped("guardian", "hong-dad"), "guardian", "家中有人接送")]
    application = await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, MUM)
    declined = await post(
        enrollment, "/declines", {"student_id": "xiaoming", "term_id": TERM, "reason": "改上托管班"}, MUM
    )
    assert declined["application_id"] == application["application_id"]
    assert declined["step"] == "declined"
    await post(enrollment, "/declines", {"student_id": "xiaoming", "term_id": TERM}, MUM, status=422)  # no reason
    types = await student_events(enrollment, count=SET_UP + 3)
    assert types[-2:] == ["enrollment.application_submitted.v1", "enrollment.participation_declined.v1"]


async def test_en_2_withdrawal_needs_the_notice_and_the_schools_approval_and_takes_effect_on_the_notice_date(
    enrollment: ServiceClient,
) -> None:
    application_id = await approved(enrollment, "xiaoming", "mum", "teacher-li")
    path = f"/applications/{application_id}"
    await post(enrollment, f"{path}/agreement", {}, MUM, status=200)
    enrollment.fake_clock.advance(timedelta(days=10))  # 2026-09-11

    too_soon = {"effective_on": "2026-09-17", "reason": "搬家"}
    problem = await post(enrollment, f"{path}/withdrawal", too_soon, MUM, status=422)
    assert problem["rule"] == "EN-2"
    assert "2026-09-18" in problem["detail"]
    unchanged = await call(enrollment, "GET", path, headers=MUM, status=200)
    assert unchanged["step"] == "active"
    assert unchanged["withdrawal_effective_on"] is None

    requested = await post(
        enrollment, f"{path}/withdrawal", {**too_soon, "effective_on": "2026-09-18"}, MUM, status=200
    )
    assert requested["step"] == "withdrawal_requested"
    await post(enrollment, f"{path}/withdrawal/approval", {}, MUM, status=403)  # only the school decides
    refused = await post(enrollment, f"{path}/withdrawal/refusal", {"reason": "请先结清费用"}, status=200)
    assert refused["step"] == "active"
    await post(enrollment, f"{path}/withdrawal", {**too_soon, "effective_on": "2026-09-30"}, MUM, status=200)
    withdrawn = await post(enrollment, f"{path}/withdrawal/approval", {}, status=200)
    assert withdrawn["step"] == "withdrawn"
    assert [s[0] for s in steps(withdrawn)][-4:] == [
        "request_withdrawal",
        "refuse_withdrawal",
        "request_withdrawal",
        "approve_withdrawal",
    ]

    events = await read_topic(enrollment.prefix, "enrollment.events", count=SET_UP + 8)
    mine = [e for e in events if e.subject == XIAOMING]
    assert [e.type for e in mine][-4:] == [
        "enrollment.withdrawal_requested.v1",
        "enrollment.withdrawal_refused.v1",
        "enrollment.withdrawal_requested.v1",
        "enrollment.enrollment_withdrawn.v1",
    ]
    assert mine[-1].data["effective_on"] == "2026-09-30"
    assert mine[-2].data["reason"] == "搬家"


async def test_applications_are_listed_for_the_school_the_class_and_the_family_only(
    enrollment: ServiceClient,
) -> None:
    for child, parent in (("xiaoming", MUM), ("xiaohong", guardian("hong-dad")), ("xiaogang", guardian("gang-mum"))):
        await post(enrollment, "/applications", {"id": f"app-{child}", "student_id": child, "term_id": TERM}, parent)

    async def listed(headers: dict[str, str], query: str = "") -> list[str]:
        page = await call(enrollment, "GET", f"/applications?term_id={TERM}{query}", headers=headers, status=200)
        return [a["student_id"] for a in page["items"]]

    def by_application(*children: str) -> list[str]:
        """The children's stored ids in the order of their applications' stored ids (the list's order)."""
        return [scoped("student", c) for c in sorted(children, key=lambda c: scoped("application", f"app-{c}"))]

    assert await listed(ADMIN) == by_application("xiaogang", "xiaohong", "xiaoming")
    first = await call(enrollment, "GET", "/applications?limit=2", headers=ADMIN, status=200)
    rest = await call(enrollment, "GET", f"/applications?limit=2&after={first['next']}", headers=ADMIN, status=200)
    assert len(first["items"]) + len(rest["items"]) == 3
    assert await listed(LI) == by_application("xiaohong", "xiaoming")
    assert await listed(teacher("teacher-wang")) == by_application("xiaogang")
    assert await listed(MUM) == [XIAOMING]
    assert await listed(ADMIN, "&step=reviewed") == []
    assert await listed(INTRUDER) == []


async def test_another_family_class_or_school_gets_nothing_from_the_application_routes(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/applications", {"id": "app", "student_id": "xiaoming", "term_id": TERM}, MUM)
    other_family, other_class = guardian("gang-mum"), teacher("teacher-wang")
    yucai_guardian = auth(Role.GUARDIAN, MUM_ID, school="yucai")  # the same guardian id, bound to another school
    for headers in (other_family, other_class, INTRUDER, yucai_guardian):
        await call(enrollment, "GET", "/applications/app", headers=headers, status=404)
        for step in ("review", "approval", "agreement", "withdrawal/approval"):
            await post(enrollment, f"/applications/app/{step}", {}, headers, status=404)
        for step in ("rejection", "withdrawal/refusal"):
            await post(enrollment, f"/applications/app/{step}", {"reason": "x"}, headers, status=404)
        withdrawal = {"effective_on": "2026-12-01", "reason": "x"}
        await post(enrollment, "/applications/app/withdrawal", withdrawal, headers, status=404)
    for headers in (other_family, yucai_guardian):
        await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, headers, status=404)
        await post(enrollment, "/declines", {"student_id": "xiaoming", "term_id": TERM, "reason": "x"}, headers, 404)
    for headers in (ADMIN, LI, auth(Role.KIOSK, "gate", school="shiyan")):  # only guardians apply or decline
        await post(enrollment, "/applications", {"student_id": "xiaoming", "term_id": TERM}, headers, status=403)
        await post(enrollment, "/declines", {"student_id": "xiaoming", "term_id": TERM, "reason": "x"}, headers, 403)
    await call(enrollment, "GET", "/applications", headers=auth(Role.DUTY_LEADER, "d", school="shiyan"), status=403)
    application = await call(enrollment, "GET", "/applications/app", headers=MUM, status=200)
    assert application["step"] == "submitted"
    assert len(application["history"]) == 1
