"""The check-in requests and answers, as the routes parse them and the handlers answer them."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from chassis.http import Body
from chassis.openapi import examples
from contracts.fields import SchoolId, StudentId
from services.attendance.checkins import store
from services.attendance.domain.check_in import Outcome
from services.attendance.domain.late_uploads import is_late
from services.attendance.fields import (
    DEVICE,
    DEVICE_TIME,
    Created,
    DeviceTime,
    Duplicates,
    Index,
    Method,
    Reason,
    Recorded,
    Refused,
    Rule,
    StudentRef,
)

MAX_BATCH = 1000
DeviceId = Annotated[str, Field(min_length=1, max_length=128, description=DEVICE)]


class CheckInCreate(Body):
    """A check-in as a kiosk (card, QR, face id) or a teacher's roll call reports it."""

    model_config = examples(
        {
            "student_id": "xiaoming",
            "occurred_at": "2026-11-25T15:31:07+08:00",
            "device_id": "shiyan-gate-1",
            "method": "card",
        }
    )

    student_id: StudentRef
    occurred_at: AwareDatetime = Field(description=DEVICE_TIME)
    device_id: DeviceId
    method: Method


class CheckInPublic(BaseModel):
    """A stored check-in."""

    model_config = examples(
        {
            "check_in_id": "3f1c2b7e-8d4a-4c1f-9e2b-5a6d7c8e9f01",
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "device_id": "shiyan-gate-1",
            "method": "card",
            "occurred_at": "2026-11-25T15:31:07+08:00",
            "recorded_at": "2026-11-25T07:31:08Z",
            "session_date": "2026-11-25",
            "late": False,
        }
    )

    check_in_id: str = Field(description="the check-in's id, given by the server")
    school_id: SchoolId
    student_id: StudentId
    device_id: str = Field(description=DEVICE)
    method: Method
    occurred_at: DeviceTime
    recorded_at: Recorded
    session_date: str = Field(description="the school's local date (YYYY-MM-DD) of the session attended")

    @computed_field(description="arrived more than 2 minutes after its device time: an offline upload (AT-8, LATE-1)")
    def late(self) -> bool:
        """LATE-1, for staff reading the day's check-ins."""
        return is_late(self.occurred_at, self.recorded_at)

    @classmethod
    def of(cls, row: store.CheckIn) -> CheckInPublic:
        """From the stored row."""
        return cls.model_validate(row, from_attributes=True)


class CheckInPage(BaseModel):
    """A page of check-ins."""

    model_config = examples(
        {
            "items": CheckInPublic.model_json_schema()["examples"],
            "total": 1,
            "limit": 100,
            "offset": 0,
        }
    )

    items: list[CheckInPublic] = Field(description="this page's check-ins, oldest device time first")
    total: int = Field(description="how many check-ins match, over all pages")
    limit: int = Field(description="the page size asked for")
    offset: int = Field(description="how many matching check-ins come before this page")


class BatchEvent(BaseModel):
    """One device event of an uploaded batch."""

    model_config = ConfigDict(extra="forbid")

    student_id: StudentRef
    occurred_at: AwareDatetime = Field(description=DEVICE_TIME)
    method: Method


class CheckInBatchCreate(Body):
    """A kiosk's batch of check-ins, e.g. everything it saw while offline (AT-8)."""

    model_config = examples(
        {
            "device_id": "shiyan-gate-1",
            "events": [
                {"student_id": "xiaoming", "occurred_at": "2026-11-25T15:31:07+08:00", "method": "card"},
                {"student_id": "xiaohong", "occurred_at": "2026-11-25T15:31:40+08:00", "method": "face"},
            ],
        }
    )

    device_id: DeviceId
    events: list[BatchEvent] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="the device's events, in any order (stored in device time order)",
    )


class BatchResultPublic(BaseModel):
    """What became of one event, at its position in the upload."""

    index: Index
    student_id: StudentId
    occurred_at: DeviceTime
    outcome: Outcome = Field(description="created, duplicate (the same device event was already stored) or refused")
    check_in_id: str | None = Field(default=None, description="the stored check-in; null when refused")
    reason: Reason = None
    rule: Rule = None


class BatchAnswer(BaseModel):
    """Per-event results in upload order, and the counts."""

    model_config = examples(
        {
            "results": [
                {
                    "index": 0,
                    "student_id": "xiaoming",
                    "occurred_at": "2026-11-25T15:31:07+08:00",
                    "outcome": "created",
                    "check_in_id": "3f1c2b7e-8d4a-4c1f-9e2b-5a6d7c8e9f01",
                    "reason": None,
                    "rule": None,
                },
                {
                    "index": 1,
                    "student_id": "xiaohong",
                    "occurred_at": "2026-11-25T15:31:40+08:00",
                    "outcome": "duplicate",
                    "check_in_id": "9b2e4d61-0c3f-4a8e-b7d5-1e2f3a4b5c6d",
                    "reason": None,
                    "rule": None,
                },
            ],
            "created": 1,
            "duplicates": 1,
            "refused": 0,
        }
    )

    results: list[BatchResultPublic] = Field(description="one result per event, in upload order")
    created: Created
    duplicates: Duplicates
    refused: Refused
