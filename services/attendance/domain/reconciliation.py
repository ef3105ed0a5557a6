"""Roster reconciliation (BX-4): a child present in regular classes but missing from their after-school session."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DayStatus(StrEnum):
    """A child's attendance in regular classes on a school day."""

    PRESENT = "present"
    ABSENT = "absent"


STATUS_WORDS = {
    "present": DayStatus.PRESENT,
    "出勤": DayStatus.PRESENT,
    "absent": DayStatus.ABSENT,
    "缺勤": DayStatus.ABSENT,
}
"""Accepted spellings in uploads (schools keep their registers in Chinese or English)."""

CSV_COLUMNS = ("class_id", "student_id", "status")


def check_due(starts_at: datetime, absence_after_minutes: int) -> datetime:
    """BX-4/AT-3: a session's roster is reconciled `absence_after_minutes` after its start (the policy's N)."""
    return starts_at + timedelta(minutes=absence_after_minutes)


def missing_from_session(
    *,
    expected: Iterable[str],
    present_at_school: Iterable[str],
    checked_in: Iterable[str],
    on_leave: Iterable[str],
    checked_out: Iterable[str] = (),
) -> list[str]:
    """BX-4: expected in the session, present in regular classes today, yet neither checked in, on approved
    leave, nor already collected; sorted so alerts go out in a stable order."""
    accounted = set(checked_in) | set(on_leave) | set(checked_out)
    return sorted((set(expected) & set(present_at_school)) - accounted)


@dataclass(frozen=True)
class DayMark:
    """One row of a regular-class register: a child of a class, present or absent."""

    class_id: str
    student_id: str
    status: DayStatus


@dataclass(frozen=True)
class RowError:
    """Why one row of an upload was refused (rows count from 1 after the header)."""

    row: int
    error: str


def parse_status(word: str) -> DayStatus | None:
    """The status a register word means, or None."""
    return STATUS_WORDS.get(word.strip().lower())


def parse_register_csv(text: str) -> tuple[list[DayMark], list[RowError]]:
    """Read a register upload (columns class_id, student_id, status); every bad row is reported, none skipped
    silently, and a child listed twice is an error (the register is per class and day)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    absent_columns = [c for c in CSV_COLUMNS if c not in header]
    if absent_columns:
        return [], [RowError(0, f"missing column(s): {', '.join(absent_columns)}")]
    marks: list[DayMark] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=1):
        row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        status = parse_status(row["status"])
        if not row["class_id"] or not row["student_id"]:
            errors.append(RowError(number, "class_id and student_id are required"))
        elif status is None:
            errors.append(RowError(number, f"status '{row['status']}' is not present or absent"))
        elif row["student_id"] in seen:
            errors.append(RowError(number, f"student '{row['student_id']}' is listed twice"))
        else:
            seen.add(row["student_id"])
            marks.append(DayMark(row["class_id"], row["student_id"], status))
    return marks, errors
