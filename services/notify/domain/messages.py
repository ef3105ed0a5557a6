"""What a guardian is told, in the language they chose (NT-1, NT-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chassis.clock import SCHOOL_TZ

Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Message:
    """A notification's title and body."""

    title: str
    body: str


def check_in_message(child_name: str, occurred_at: datetime, language: Language) -> Message:
    """NT-1: child checked in, with the school-local time of the device event."""
    local = occurred_at.astimezone(SCHOOL_TZ).strftime("%H:%M")
    if language == "en":
        return Message("Checked in", f"{child_name} checked in to the after-school service at {local}.")
    return Message("课后服务签到", f"{child_name}已于{local}签到参加课后服务。")
