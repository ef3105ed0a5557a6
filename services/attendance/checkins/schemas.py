"""The check-in requests and answers, as the routes parse them and the handlers answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from chassis.http import Body, Id
from contracts.attendance import CheckInMethod
from services.attendance.checkins import store
from services.attendance.domain.check_in import Outcome
from services.attendance.domain.late_uploads import is_late

MAX_BATCH = 1000


class CheckInCreate(Body):
    """A check-in as a kiosk (card, QR, face id) or a teacher's roll call reports it."""

    model_config = ConfigDict(extra="forbid")

    student_id: Id
    occurred_at: AwareDatetime = Field(description="the device's own time, with its UTC offset (AT-8)")
    device_id: Annotated[str, Field(min_length=1, max_length=128)]
    method: CheckInMethod


class CheckInPublic(BaseModel):
    """A stored check-in."""

    check_in_id: str
    school_id: str
    student_id: str
    device_id: str
    method: CheckInMethod
    occurred_at: datetime
    recorded_at: datetime
    session_date: str

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

    items: list[CheckInPublic]
    total: int
    limit: int
    offset: int


class BatchEvent(BaseModel):
    """One device event of an uploaded batch."""

    model_config = ConfigDict(extra="forbid")

    student_id: Id
    occurred_at: AwareDatetime = Field(description="the device's own time, with its UTC offset (AT-8)")
    method: CheckInMethod


class CheckInBatchCreate(Body):
    """A kiosk's batch of check-ins, e.g. everything it saw while offline (AT-8)."""

    model_config = ConfigDict(extra="forbid")

    device_id: Annotated[str, Field(min_length=1, max_length=128)]
    events: list[BatchEvent] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResultPublic(BaseModel):
    """What became of one event, at its position in the upload."""

    index: int
    student_id: str
    occurred_at: datetime
    outcome: Outcome
    check_in_id: str | None = None
    reason: str | None = None
    rule: str | None = None


class BatchAnswer(BaseModel):
    """Per-event results in upload order, and the counts."""

    results: list[BatchResultPublic]
    created: int
    duplicates: int
    refused: int
