"""The fields many notify requests and answers share, each described once for the OpenAPI (issue 11); the ids
every service shares are `contracts/fields.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

EVENT_TYPE = "the event's type as published, `<service>.<event>.v<N>`, e.g. `attendance.student_checked_in.v1`"
EVENT_TYPES = "only these event types are sent; every type when empty"
URL = "the https URL the signed webhooks (Standard Webhooks) are POSTed to"
SECRET = "the signing secret (`whsec_…`), shown once when created; null on every later read"
LANGUAGE = "NT-2: the language of the guardian's notifications, `zh-CN` or `en`"
EMAIL = "the e-mail address for the `email` channel; null when none is given"
PHONE = "the mobile number for the `sms` channel, 6 to 15 digits, optionally after `+`; null when none is given"
WECHAT = "the guardian's WeChat openid for template messages (the `wechat` channel); null when none is given"
QUIET = "NT-2: the daily quiet hours in the school's time (urgent alerts ignore them); null for none"

PathId = Annotated[str, Path(max_length=64)]
"""An id in a route's path: a longer one is a 422, never looked up."""
EventType = Annotated[str, Field(description=EVENT_TYPE)]
EventTypes = Annotated[list[str], Field(description=EVENT_TYPES)]
Url = Annotated[str, Field(description=URL)]
Secret = Annotated[str | None, Field(description=SECRET)]
