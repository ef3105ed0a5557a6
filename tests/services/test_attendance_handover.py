"""Handover with two-party acknowledgement on the real stack (AT-1, BX-3): counts, discrepancies, escalation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from prometheus_client import Gauge

from chassis.app import Runtime
from chassis.auth import Role
from chassis.clock import FakeClock
from services.attendance.handover.handlers import DISCREPANCIES_FIGURE
from services.attendance.timers.timers import fire_due
from tests.conftest import auth
from tests.services.conftest import read_topic, school_figure
from tests.services.test_attendance_absence import (
    ADMIN,
    CHESS_TEACHER,
    HOMEWORK_SESSION,
    OTHER_ADMIN,
    OTHER_SERVICE,
    OTHER_TEACHER,
    SERVICE,
    TEACHER_A,
    TEACHER_B,
    ask_leave,
    guardian,
    local,
)
from tests.services.test_attendance_reference import CLASS_A, CLASS_B, school

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

HANDOVER_A = f"{HOMEWORK_SESSION}:{CLASS_A}"
HANDOVER_B = f"{HOMEWORK_SESSION}:{CLASS_B}"
DUTY = auth(Role.DUTY_LEADER, "duty-1", school="s1")


async def test_handover_counts_acknowledgements_discrepancies_and_escalation(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(local(14, 30))
    async with school(pg_url, topic_prefix, clock) as client:
        runtime: Runtime = client.runtime
        # Hong is on approved leave: her leave note goes with class A's handover (AT-1).
        leave = (await ask_leave(client, "hong")).json()["leave_id"]
        await client.post(f"/attendance/v1/leave-requests/{leave}/approve", json={}, headers=TEACHER_A)

        give = f"/attendance/v1/sessions/{HOMEWORK_SESSION}/handovers"
        # Only the class's own teacher of this school hands its children over.
        assert (await client.post(give, json={"class_id": CLASS_A, "count": 2}, headers=TEACHER_B)).status_code == 403
        assert (
            await client.post(give, json={"class_id": CLASS_A, "count": 2}, headers=OTHER_TEACHER)
        ).status_code == 404
        assert (await client.post(give, json={"class_id": CLASS_A, "count": 2}, headers=SERVICE)).status_code == 403
        assert (
            await client.post(give, json={"class_id": CLASS_A, "count": 2}, headers=guardian("ming"))
        ).status_code == 403
        named_stranger = {"class_id": CLASS_A, "count": 1, "student_ids": ["li"]}
        assert (await client.post(give, json=named_stranger, headers=TEACHER_A)).status_code == 422

        clock.advance(timedelta(minutes=20))  # 14:50: regular classes are over
        given_a = await client.post(
            give,
            json={"class_id": CLASS_A, "count": 2, "student_ids": ["gang", "ming"]},
            headers={**TEACHER_A, "Idempotency-Key": "a-1"},
        )
        assert given_a.status_code == 201
        body = given_a.json()
        assert (body["handover_id"], body["expected_count"], body["on_leave_student_ids"]) == (HANDOVER_A, 2, ["hong"])
        assert body["given_by"] == "t-class-a"
        assert body["discrepancies"] == []
        again = await client.post(
            give, json={"class_id": CLASS_A, "count": 2, "student_ids": ["gang", "ming"]}, headers=TEACHER_A
        )
        assert again.status_code == 409  # one handover per class and session
        given_b = await client.post(give, json={"class_id": CLASS_B, "count": 1}, headers=TEACHER_B)
        assert given_b.status_code == 201
        assert [(d["stage"], d["expected"], d["counted"]) for d in given_b.json()["discrepancies"]] == [
            ("given", 2, 1)  # AT-1: li and fang expected, one handed over
        ]

        # BX-3: the session's teacher acknowledges class A with their own count; a difference is a discrepancy.
        ack_a = f"/attendance/v1/handovers/{HANDOVER_A}/acknowledge"
        assert (await client.post(ack_a, json={"count": 2}, headers=CHESS_TEACHER)).status_code == 403
        assert (await client.post(ack_a, json={"count": 2}, headers=OTHER_SERVICE)).status_code == 404
        assert (await client.post(ack_a, json={"count": 2}, headers=TEACHER_A)).status_code == 403
        clock.advance(timedelta(minutes=2))
        acked = await client.post(ack_a, json={"count": 1}, headers=SERVICE)
        assert acked.status_code == 200
        assert (acked.json()["acknowledged_by"], acked.json()["acknowledged_count"]) == ("t-service", 1)
        assert acked.json()["acknowledged_at"] is not None
        assert [(d["stage"], d["expected"], d["counted"]) for d in acked.json()["discrepancies"]] == [
            ("acknowledged", 2, 1)
        ]
        assert (await client.post(ack_a, json={"count": 2}, headers=SERVICE)).status_code == 409

        # Class B's children were not accepted: the ladder runs every policy step until someone accepts them.
        for minutes in (3, 10, 10, 10):  # 14:55 service teacher, 15:05 duty leader, 15:15 school admin, then none
            clock.advance(timedelta(minutes=minutes))
            await fire_due(runtime)
        step = await client.get(f"/attendance/v1/handovers/{HANDOVER_B}", headers=ADMIN)
        assert step.json()["escalation_step"] == 3
        assert (
            await client.post(f"/attendance/v1/handovers/{HANDOVER_B}/acknowledge", json={"count": 1}, headers=SERVICE)
        ).status_code == 200
        clock.advance(timedelta(minutes=30))
        await fire_due(runtime)

        # Who sees what: the class's teacher, the session's teacher, the leaders; nobody of another class or school.
        assert (await client.get(f"/attendance/v1/handovers/{HANDOVER_A}", headers=TEACHER_B)).status_code == 404
        assert (await client.get(f"/attendance/v1/handovers/{HANDOVER_A}", headers=OTHER_ADMIN)).status_code == 404
        assert (await client.get(f"/attendance/v1/handovers/{HANDOVER_A}", headers=CHESS_TEACHER)).status_code == 404
        assert (await client.get(f"/attendance/v1/handovers/{HANDOVER_A}", headers=SERVICE)).status_code == 200
        listed = await client.get(give, headers=TEACHER_A)
        assert [h["handover_id"] for h in listed.json()["items"]] == [HANDOVER_A]
        assert [h["handover_id"] for h in (await client.get(give, headers=DUTY)).json()["items"]] == [
            HANDOVER_A,
            HANDOVER_B,
        ]
        assert (await client.get(give, headers=CHESS_TEACHER)).status_code == 403
        assert (await client.get(give, headers=OTHER_ADMIN)).status_code == 404

        # AT-1: open discrepancies until resolved with a note.
        discrepancies = "/attendance/v1/handover-discrepancies"
        open_ones = (await client.get(discrepancies, headers=ADMIN)).json()["items"]
        assert [d["discrepancy_id"] for d in open_ones] == [f"{HANDOVER_A}:acknowledged", f"{HANDOVER_B}:given"]
        seen: dict[Gauge, set[str]] = {}
        assert await school_figure(runtime, DISCREPANCIES_FIGURE, "s1", seen) == 2  # issue 14's per-school panel
        assert [d["class_id"] for d in (await client.get(discrepancies, headers=TEACHER_B)).json()["items"]] == [
            CLASS_B
        ]
        assert (await client.get(discrepancies, headers=OTHER_ADMIN)).json()["items"] == []
        assert (await client.get(discrepancies, headers=SERVICE)).status_code == 403
        mine = await client.get(discrepancies, params={"session_id": HOMEWORK_SESSION}, headers=SERVICE)
        assert len(mine.json()["items"]) == 2
        resolve = f"{discrepancies}/{HANDOVER_A}:acknowledged/resolve"
        assert (await client.post(resolve, json={"note": "x"}, headers=TEACHER_B)).status_code == 403
        assert (await client.post(resolve, json={"note": "x"}, headers=OTHER_ADMIN)).status_code == 404
        assert (await client.post(resolve, json={"note": ""}, headers=SERVICE)).status_code == 422
        resolved = await client.post(resolve, json={"note": "明明在厕所, 已找到"}, headers=SERVICE)
        assert resolved.status_code == 200
        assert resolved.json()["resolved_by"] == "t-service"
        assert (await client.post(resolve, json={"note": "again"}, headers=SERVICE)).status_code == 409
        remaining = (await client.get(discrepancies, headers=ADMIN)).json()["items"]
        assert [d["discrepancy_id"] for d in remaining] == [f"{HANDOVER_B}:given"]
        assert await school_figure(runtime, DISCREPANCIES_FIGURE, "s1", seen) == 1

        published = await read_topic(topic_prefix, "attendance.events", count=12)
    handover_events = [e for e in published if e.type.startswith("attendance.handover")]
    assert Counter(e.type for e in handover_events) == {
        "attendance.handover_given.v1": 2,
        "attendance.handover_acknowledged.v1": 2,
        "attendance.handover_discrepancy_found.v1": 2,
        "attendance.handover_discrepancy_resolved.v1": 1,
        "attendance.handover_unaccepted_escalated.v1": 3,
    }
    assert Counter(e.type for e in published if e not in handover_events) == {
        "attendance.leave_requested.v1": 1,
        "attendance.leave_approved.v1": 1,
    }
    for envelope in handover_events:  # keyed by session, so a session's handover steps stay in order
        assert envelope.subject == HOMEWORK_SESSION
    ladder = [
        (e.data["class_id"], e.data["step"], e.data["escalate_to"], e.data["service_teacher_ids"])
        for e in handover_events
        if "escalated" in e.type
    ]
    assert ladder == [  # the session's service teachers named, so notify reaches them (issue 10)
        (CLASS_B, 1, "service_teacher", ["t-service"]),
        (CLASS_B, 2, "duty_leader", ["t-service"]),
        (CLASS_B, 3, "school_admin", ["t-service"]),
    ]
