"""Staff attendance rules (AT-9): a service teacher's sign-in per session and the activity record's completeness."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.attendance.staff import SignInStatus

SIGN_IN_OPENS_BEFORE = timedelta(minutes=60)
"""A sign-in earlier than this before the start is refused: it cannot be for this session."""

HALF_SESSION_KINDS = frozenset({"noon_care"})
"""AT-9/ST-1: noon service (午托) counts as half a session."""

RECORD_PARTS = ("place", "content", "students", "effect")


class SignInRefused(ValueError):
    """The sign-in cannot be taken now (too early, or after the session ended)."""


@dataclass(frozen=True)
class SignInJudgement:
    """How a sign-in was judged: on time or late, and by how many whole minutes."""

    status: SignInStatus
    minutes_late: int = 0


def judge_sign_in(at: datetime, *, starts_at: datetime, ends_at: datetime) -> SignInJudgement:
    """AT-9: at or before the session start is on time; after it, late (minutes rounded up); from the session
    end on it is too late to sign in (the teacher is absent), and more than an hour early is refused."""
    if at < starts_at - SIGN_IN_OPENS_BEFORE:
        minutes = int(SIGN_IN_OPENS_BEFORE.total_seconds() // 60)
        raise SignInRefused(f"sign-in opens {minutes} minutes before the session starts")
    if at >= ends_at:
        raise SignInRefused("the session has ended: a teacher not signed in by its end is absent")
    if at <= starts_at:
        return SignInJudgement(SignInStatus.ON_TIME)
    return SignInJudgement(SignInStatus.LATE, math.ceil((at - starts_at).total_seconds() / 60))


def is_half_session(kind: str) -> bool:
    """AT-9: noon service is a half session (the stipend pays it 0.5 units, ST-1)."""
    return kind in HALF_SESSION_KINDS


@dataclass(frozen=True)
class ActivityRecord:
    """AT-9: the activity record (活动记录表) of a session: place, content, students, effect."""

    place: str
    content: str
    student_ids: tuple[str, ...]
    effect: str


def missing_parts(record: ActivityRecord) -> list[str]:
    """The parts of a record left empty, in form order; a text made only of whitespace counts as empty."""
    filled = {
        "place": bool(record.place.strip()),
        "content": bool(record.content.strip()),
        "students": bool(record.student_ids),
        "effect": bool(record.effect.strip()),
    }
    return [part for part in RECORD_PARTS if not filled[part]]


def is_complete(record: ActivityRecord) -> bool:
    """AT-9: a record is complete when place, content and effect have text and at least one student is listed."""
    return not missing_parts(record)
