"""A guardian's preferences as set and as read (NT-2): channels in order per category, language, addresses and
quiet hours."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from chassis.http import Body
from chassis.openapi import examples, model_examples
from services.notify.domain.channels import Category, Channel
from services.notify.fields import EMAIL, LANGUAGE, PHONE, QUIET, WECHAT

_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OutsideChannel = Literal["wechat", "sms", "email"]


class QuietHoursIn(BaseModel):
    """A daily window in the school's time, e.g. 21:30 to 07:00; urgent alerts ignore it."""

    model_config = examples({"start": "21:30:00", "end": "07:00:00"})

    start: time = Field(description="when quiet begins, HH:MM:SS in the school's time (whole minutes)")
    end: time = Field(description="when quiet ends, HH:MM:SS in the school's time; before `start` spans midnight")

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time")
        if self.start.second or self.end.second:
            raise ValueError("quiet hours are whole minutes")
        return self


class PreferencesIn(Body):
    """What a guardian chooses: channels in order per category, language, addresses, quiet hours."""

    model_config = examples(
        {
            "language": "zh-CN",
            "channels": {"urgent": ["sms", "wechat"], "attendance": ["wechat"]},
            "email": None,
            "phone": "+8613800138000",
            "wechat_openid": "oX3a_9fKq2LmZp7",
            "quiet_hours": {"start": "21:30:00", "end": "07:00:00"},
        }
    )

    language: Literal["zh-CN", "en"] = Field(default="zh-CN", description=LANGUAGE)
    channels: dict[Category, list[OutsideChannel]] = Field(
        default_factory=dict, description="outside channels in the order to try; the in-app inbox always gets it"
    )
    email: str | None = Field(default=None, max_length=254, description=EMAIL)
    phone: str | None = Field(default=None, max_length=32, description=PHONE)
    wechat_openid: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=WECHAT)
    quiet_hours: QuietHoursIn | None = Field(default=None, description=QUIET)

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

    model_config = examples({**model_examples(PreferencesIn)[0], "guardian_id": "g-xiaoming-mama"})

    guardian_id: str = Field(description="the guardian's id in enrollment (the subject of their token)")
