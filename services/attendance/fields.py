"""The fields many attendance requests and answers share, each described once for the OpenAPI (issue 11); the ids
every service shares are `contracts/fields.py`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import Field

from chassis.http import Id
from contracts.attendance import CheckInMethod
from contracts.fields import SESSION, STUDENT

DEVICE = "the reporting device: a kiosk's token subject, or a person's `<staff id>[/<device>]`"
DEVICE_TIME = "the device's own time of the event, with its UTC offset (AT-8)"
PLACE = "where it happened, e.g. `south gate` or `教室 3-1`"

DeviceTime = Annotated[datetime, Field(description=DEVICE_TIME)]
Recorded = Annotated[
    datetime, Field(description="when the server stored it (UTC); after the device time for an offline upload (LATE-1)")
]
Method = Annotated[
    CheckInMethod, Field(description="how the child was identified: card, QR code, face id, or a teacher's roll call")
]
Rule = Annotated[str | None, Field(description="the rule that refused it (e.g. AT-8, BX-5); null otherwise")]
Reason = Annotated[str | None, Field(description="why it was refused, for a person to read; null otherwise")]
Index = Annotated[int, Field(description="the event's position in the upload, from 0")]
Note = Annotated[str | None, Field(description="free text kept by the school; null when none was written")]
Decider = Annotated[str | None, Field(description="the staff id of who decided or resolved it; null while open")]
Decided = Annotated[datetime | None, Field(description="when it was resolved or decided (UTC); null while open")]
StartsAt = Annotated[datetime, Field(description="the session's start (UTC)")]
EndsAt = Annotated[datetime, Field(description="the session's end (UTC)")]
TeacherIds = Annotated[list[str], Field(description="the session's service teachers (staff ids)")]
RoomId = Annotated[str | None, Field(description="the room the session is held in; null when none is set")]
Kind = Annotated[str, Field(description="the program kind: homework, club, early_arrival, noon_care or bus")]
Created = Annotated[int, Field(description="events stored now")]
Duplicates = Annotated[int, Field(description="events already stored by an earlier upload (nothing done again)")]
Refused = Annotated[int, Field(description="events refused, each with its reason and rule")]
OptionalSessionId = Annotated[str | None, Field(description=f"{SESSION}; null for a whole day")]

StudentRef = Annotated[Id, Field(description=STUDENT)]

OnDate = Annotated[date, Query(alias="date")]
"""The `?date=` of a day's list: the school-local date."""
