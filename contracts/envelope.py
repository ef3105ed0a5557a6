"""CloudEvents 1.0 JSON envelope that carries every event on the bus."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every published event: a past-tense fact with a versioned type."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    """CloudEvents `type`, carrying the version: `attendance.student_checked_in.v1`."""
    topic: ClassVar[str]
    """One stream per producing service, e.g. `attendance.events`."""
    key_field: ClassVar[str]
    """The field naming the entity whose events must stay in order (a student, a teacher)."""

    def __init_subclass__(cls, *, topic: str | None = None, key_field: str | None = None, **kwargs: Any) -> None:
        """Route a family of events in its header: `class StudentEvent(Event, topic=TOPIC, key_field="student_id")`."""
        super().__init_subclass__(**kwargs)
        if topic is not None:
            cls.topic = topic
        if key_field is not None:
            cls.key_field = key_field

    def key(self) -> str:
        """The partition key: a student's (or teacher's) events share one partition, so keep their order."""
        return str(getattr(self, self.key_field))

    def subject(self) -> str:
        """CloudEvents `subject`: the entity the event is about."""
        return self.key()


class Envelope(BaseModel):
    """A CloudEvents 1.0 structured-mode JSON event, with the school and trace context as extensions."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    time: AwareDatetime
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    schoolid: str = Field(description="extension: the school the event belongs to")
    traceparent: str | None = Field(default=None, description="extension: W3C trace context")
    replayedat: AwareDatetime | None = Field(
        default=None, description="extension: when an operator sent it back from the dead letters (chassis)"
    )
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        source: str,
        school_id: str,
        time: datetime | None = None,
        traceparent: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Put a typed event into an envelope."""
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=source,
            type=event.type,
            time=time or datetime.now(UTC),
            subject=event.subject(),
            schoolid=school_id,
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        """Serialise for the wire."""
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse from the wire; raises pydantic.ValidationError on a malformed envelope."""
        return cls.model_validate_json(raw)
