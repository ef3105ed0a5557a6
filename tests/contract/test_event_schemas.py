"""Published events: committed schemas, compatible changes only, CloudEvents envelopes, keys that keep order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.envelope import Envelope
from contracts.registry import EVENT_TYPES, decode
from contracts.schemas import committed_schemas, generated_schemas, incompatibilities

pytestmark = pytest.mark.contract


def test_every_event_type_has_a_committed_schema() -> None:
    missing = set(generated_schemas()) - set(committed_schemas())
    assert not missing, f"run `python -m contracts.schemas` and commit: {sorted(missing)}"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_published_schema_changes_only_compatibly(event_type: str) -> None:
    committed = committed_schemas()[event_type]
    assert incompatibilities(committed, generated_schemas()[event_type]) == [], (
        f"{event_type} changed incompatibly: publish a new version (…v2) with an upcaster instead"
    )


def test_removing_a_field_is_incompatible() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    assert incompatibilities(old, {"properties": {"a": {"type": "string"}}, "required": ["a"]}) == [
        "field 'b' was removed"
    ]


def test_changing_a_type_or_requiring_a_field_is_incompatible() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    new = {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}
    assert incompatibilities(old, new) == [
        'field \'a\' changed type from {"type": "string"} to {"type": "integer"}',
        "field 'b' became required",
    ]


def test_adding_an_optional_field_or_rewording_is_compatible() -> None:
    old = {"properties": {"a": {"type": "string", "title": "A"}}, "required": ["a"]}
    new = {"properties": {"a": {"type": "string", "description": "the a"}, "c": {"type": "string"}}, "required": ["a"]}
    assert incompatibilities(old, new) == []


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_type_is_versioned_and_routed(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    service, _name, version = event_type.split(".")
    assert version.startswith("v")
    assert version[1:].isdigit()
    assert model.topic == f"{service}.events"
    assert model.key_field in model.model_fields


def test_check_in_round_trips_as_a_cloudevent_keyed_by_student() -> None:
    event = StudentCheckedIn(
        check_in_id="c1",
        student_id="s1-g3-c1-01",
        school_id="s1",
        device_id="kiosk-gate",
        method=CheckInMethod.CARD,
        occurred_at=datetime(2026, 11, 25, 8, 5, tzinfo=UTC),
        session_date="2026-11-25",
    )
    envelope = Envelope.wrap(
        event, source="/afterschool/attendance", school_id="s1", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    again = Envelope.from_bytes(envelope.to_bytes())
    assert again.specversion == "1.0"
    assert again.type == "attendance.student_checked_in.v1"
    assert again.subject == "s1-g3-c1-01" == event.key()
    assert again.schoolid == "s1"
    assert decode(again) == event


def test_a_consumer_reads_an_event_with_fields_it_does_not_know() -> None:
    data = {
        "check_in_id": "c1",
        "student_id": "s",
        "school_id": "s1",
        "device_id": "k",
        "method": "qr",
        "occurred_at": "2026-11-25T08:05:00+00:00",
        "session_date": "2026-11-25",
        "added_later": 1,
    }
    envelope = Envelope(
        source="/x",
        type=StudentCheckedIn.type,
        time=datetime(2026, 11, 25, 8, 5, tzinfo=UTC),
        subject="s",
        schoolid="s1",
        data=data,
    )
    event = decode(envelope)
    assert isinstance(event, StudentCheckedIn)
    assert event.student_id == "s"
