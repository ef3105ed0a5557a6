"""HTTP routes of a guardian's own preferences (NT-2) and of reading a notification: nobody else's, ever."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, field_validator, model_validator

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.problems import NotFound
from chassis.sql import upsert
from services.notify import delivery_store, store
from services.notify.domain.channels import EXTERNAL_CHANNELS, Category, Channel

router = APIRouter(prefix="/notify/v1", tags=["preferences"])

Guardian = Annotated[Principal, require(Role.GUARDIAN)]
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OutsideChannel = Literal["wechat", "sms", "email"]


class QuietHoursIn(BaseModel):
    """A daily window in the school's time, e.g. 21:30 to 07:00; urgent alerts ignore it."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time")
        if self.start.second or self.end.second:
            raise ValueError("quiet hours are whole minutes")
        return self


class PreferencesIn(BaseModel):
    """What a guardian chooses: channels in order per category, language, addresses, quiet hours."""

    language: Literal["zh-CN", "en"] = "zh-CN"
    channels: dict[Category, list[OutsideChannel]] = Field(
        default_factory=dict, description="outside channels in the order to try; the in-app inbox always gets it"
    )
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    wechat_openid: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    quiet_hours: QuietHoursIn | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("a phone number is 6 to 15 digits, optionally after +")
        return value

    @field_validator("channels")
    @classmethod
    def _no_repeats(cls, value: dict[Category, list[str]]) -> dict[Category, list[str]]:
        for category, order in value.items():
            if len(set(order)) != len(order):
                raise ValueError(f"{category}: a channel appears twice")
        return value

    @model_validator(mode="after")
    def _addresses_for_channels(self) -> Self:
        given = {Channel.EMAIL: self.email, Channel.SMS: self.phone, Channel.WECHAT: self.wechat_openid}
        for order in self.channels.values():
            for channel in order:
                if not given[Channel(channel)]:
                    raise ValueError(f"channel '{channel}' needs its address")
        return self


class PreferencesOut(PreferencesIn):
    """A guardian's preferences as stored (defaults if they never set any)."""

    guardian_id: str


@router.get("/preferences", response_model=PreferencesOut)
async def my_preferences(runtime: RuntimeDep, principal: Guardian) -> PreferencesOut:
    """The calling guardian's own preferences."""
    return await _read(runtime, principal)


@router.put("/preferences", response_model=PreferencesOut)
async def set_my_preferences(runtime: RuntimeDep, principal: Guardian, body: PreferencesIn) -> PreferencesOut:
    """Replace the calling guardian's preferences (NT-2); only the caller's own, whatever the body says."""
    school_id = principal.school()
    values = {
        "guardian_id": principal.subject,
        "school_id": school_id,
        "language": "en" if body.language == "en" else "zh",
        "channels": {str(k): list(v) for k, v in body.channels.items()},
        "email": body.email,
        "phone": body.phone,
        "wechat_openid": body.wechat_openid,
        "quiet_start": body.quiet_hours.start.strftime("%H:%M") if body.quiet_hours else None,
        "quiet_end": body.quiet_hours.end.strftime("%H:%M") if body.quiet_hours else None,
        "updated_at": runtime.clock.now(),
    }
    async with runtime.uow() as uow:
        await uow.session.execute(upsert(uow.session, store.GuardianPreference, values, ["guardian_id"]))
        await uow.commit()
    return await _read(runtime, principal)


@router.get("/guardians/{guardian_id}/preferences", response_model=PreferencesOut)
async def guardian_preferences(
    runtime: RuntimeDep, principal: Guardian, guardian_id: Annotated[str, Path(max_length=64)]
) -> PreferencesOut:
    """A guardian's preferences by id: only the guardian themself; anyone else's is a 404, as if not there."""
    if guardian_id != principal.subject:
        raise NotFound("no such guardian")
    return await _read(runtime, principal)


@router.post("/notifications/{notification_id}/read", status_code=204)
async def read_notification(
    runtime: RuntimeDep, principal: Guardian, notification_id: Annotated[str, Path(max_length=64)]
) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    async with runtime.uow() as uow:
        notification = await uow.session.get(store.Notification, notification_id)
        if (
            notification is None
            or notification.audience != "guardian"
            or notification.guardian_id != principal.subject
            or notification.school_id != principal.school()
        ):
            raise NotFound("no such notification")
        now = uow.clock.now()
        notification.read_at = notification.read_at or now
        await delivery_store.mark_read(uow.session, notification_id=notification_id, now=now)
        await uow.commit()


async def _read(runtime: RuntimeDep, principal: Principal) -> PreferencesOut:
    async with runtime.db.sessions() as session:
        row = await session.get(store.GuardianPreference, principal.subject)
    if row is None or row.school_id != principal.school():
        return PreferencesOut(guardian_id=principal.subject)
    quiet = {"start": row.quiet_start, "end": row.quiet_end} if row.quiet_start and row.quiet_end else None
    channels = {k: [c for c in v if Channel(c) in EXTERNAL_CHANNELS] for k, v in row.channels.items()}
    return PreferencesOut.model_validate(
        {
            "guardian_id": row.guardian_id,
            "language": "en" if row.language == "en" else "zh-CN",
            "channels": channels,
            "email": row.email,
            "phone": row.phone,
            "wechat_openid": row.wechat_openid,
            "quiet_hours": quiet,
        }
    )
