"""Routing a record: a handled type's envelope and event validated in one pass over the bytes (issue 9), with the
same event, envelope and refusals as the envelope-then-event path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from chassis.bus import Record
from chassis.bus.memory import MemoryBus
from chassis.consumer import ConsumerRunner, PoisonMessage, Subscription
from contracts.attendance import StudentCheckedIn
from contracts.envelope import Envelope
from contracts.registry import decode
from tests.chassis.probe import checked_in, envelope_of

pytestmark = pytest.mark.unit


async def ignore(*_: Any) -> None:
    """A handler never called here."""


def route(value: bytes) -> tuple[Envelope, Any]:
    runner = ConsumerRunner(
        MemoryBus(), Subscription({StudentCheckedIn: ignore}), service="probe", group="probe",
        uow=lambda: None,  # type: ignore[arg-type, return-value]
        dead_letter_topic="dead",
    )  # fmt: skip
    envelope, handler = runner._route(Record("t", 0, 0, "k", value))
    return envelope, handler


def test_a_handled_type_comes_out_as_its_event_with_the_envelopes_fields() -> None:
    raw = envelope_of(checked_in("xiaoming"))
    envelope, handler = route(raw)
    general = Envelope.from_bytes(raw)
    event: object = envelope.data  # the event itself, validated with the envelope
    assert event == decode(general)
    assert handler is ignore
    assert envelope.model_dump(exclude={"data"}) == general.model_dump(exclude={"data"})


def test_a_misleading_type_in_the_data_takes_the_general_path_to_the_same_event() -> None:
    """The type read off the bytes is only a guess: a `type` key ahead of the envelope's changes nothing."""
    wire = orjson.loads(envelope_of(checked_in("xiaoming")))
    misleading = orjson.dumps({"data": {"type": "another.type.v1", **wire["data"]}} | wire)
    assert misleading.find(b'"type":"another.type.v1"') < misleading.find(b'"type":"attendance')
    envelope, handler = route(misleading)
    assert handler is ignore
    assert decode(envelope) == decode(Envelope.from_bytes(misleading))


def test_an_event_not_matching_its_type_is_still_refused_by_the_general_path() -> None:
    wire = orjson.loads(envelope_of(checked_in("xiaoming")))
    wire["data"].pop("student_id")
    envelope, _ = route(orjson.dumps(wire))
    assert isinstance(envelope.data, dict)  # not validated as the event: the handler's decode refuses it
    with pytest.raises(ValidationError):
        decode(envelope)
    with pytest.raises(PoisonMessage):
        route(b'{"type":"attendance.student_checked_in.v1"}')
