"""The school's policy profile (PL-1): every *(setting)* of docs/domain.md, as enrollment publishes it.

Enrollment owns profiles and publishes the *resolved* settings of each school (district default with the school's
own overrides applied) in `PolicyProfileSet`; attendance, homework and stipend keep their own copies and look up
the profile in force on a day. Ranges here are the hard bounds of PL-2; cross-field rules live in
`services/enrollment/domain/policy.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Minutes = Annotated[int, Field(ge=0, le=600)]
Fen = Annotated[int, Field(ge=0, le=10_000_000)]


def _default_written_caps() -> dict[int, int]:
    # HW-2: grades 3–6 at most 60 min a day in total, middle school 90; grades 1–2 have none (HW-1, not a setting).
    return {3: 60, 4: 60, 5: 60, 6: 60, 7: 90, 8: 90, 9: 90}


def _default_dismissal_times() -> dict[int, time]:
    # AT-4: staggered by grade band, 1–2 at 17:00, 3–4 at 17:20, 5–6 at 17:30; middle school with the last band.
    return {1: time(17, 0), 2: time(17, 0), 3: time(17, 20), 4: time(17, 20)} | {
        grade: time(17, 30) for grade in range(5, 10)
    }


class PolicySettings(BaseModel):
    """Every per-school setting, with the national default (or the documents' example) as its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # EN- enrollment and programs
    withdrawal_notice_days: int = Field(7, ge=0, le=60, description="EN-2: written notice before withdrawal")
    max_club_sessions_per_week: int = Field(2, ge=0, le=10, description="EN-4: club sessions a student may join")
    class_hour_minutes: int = Field(40, ge=20, le=60, description="EN-5: length of one class-hour")
    min_class_hours_per_day: int = Field(2, ge=1, le=6, description="EN-5: the 5+2 model's daily minimum")
    latest_end: time = Field(time(18, 15), description="EN-5: no session ends later")
    extended_care_end: time = Field(time(18, 0), description="EN-5: end of extended care (延时托管)")
    extended_care_end_winter: time = Field(time(17, 30), description="EN-5: the same in the winter period")
    offers_early_arrival: bool = Field(False, description="EN-6: 弹性上学")
    offers_noon_care: bool = Field(False, description="EN-6: 午托")
    offers_bus: bool = Field(False, description="EN-6: 校车")
    # AT- attendance and dismissal
    absence_after_minutes: Minutes = Field(10, description="AT-3: not checked in this long after start = absent")
    dismissal_times: dict[int, time] = Field(default_factory=_default_dismissal_times, description="AT-4 by grade")
    not_collected_after_minutes: Minutes = Field(15, description="AT-6: then the child goes to reception")
    escalation_step_minutes: Minutes = Field(10, description="AT-6: between escalation steps")
    handover_unaccepted_minutes: Minutes = Field(5, description="BX-3: a child nobody accepted escalates")
    dismissal_plan_cutoff: time = Field(time(15, 0), description="BX-5: last time to change today's plan")
    late_pickup_fee_fen: Fen = Field(0, description="BX-5: per started block after dismissal + grace; 0 = none")
    late_pickup_block_minutes: int = Field(15, ge=1, le=120, description="BX-5: the block the fee is charged per")
    students_per_teacher: int = Field(30, ge=1, le=100, description="BX-6: the ratio the live board checks")
    # HW- homework
    written_minutes_cap_by_grade: dict[int, int] = Field(
        default_factory=_default_written_caps, description="HW-2: daily written minutes per class, by grade"
    )
    max_subjects_school_day: int = Field(2, ge=0, le=10, description="HW-3: subjects with homework on a school day")
    max_subjects_weekend: int = Field(3, ge=0, le=10, description="HW-3: the same at weekends")
    max_minutes_weekend_holiday: Minutes = Field(120, description="HW-3: a day's total at weekends and holidays")
    weekly_plan_cutoff_weekday: int = Field(4, ge=0, le=6, description="HW-8: 0 = Monday; default Friday")
    # ST- stipends
    stipend_fen_per_class_hour: Fen = Field(4000, description="ST-2: base stipend per class-hour")
    specialty_supplement_fen_per_class_hour: Fen = Field(2500, description="ST-2: extra for specialty programs")

    def written_cap(self, grade: int) -> int:
        """HW-1/HW-2: the daily written minutes a class of `grade` may get (0 for grades 1–2)."""
        return 0 if grade <= 2 else self.written_minutes_cap_by_grade.get(grade, 0)

    def dismissal_time(self, grade: int) -> time:
        """AT-4: when a child of `grade` is dismissed."""
        return self.dismissal_times.get(grade, max(self.dismissal_times.values(), default=time(17, 30)))


def policy_on(profiles: Iterable[tuple[date, PolicySettings]], day: date) -> PolicySettings:
    """PL-1: the profile with the latest `effective_from` not after `day`; the national default when none."""
    in_force = [(start, settings) for start, settings in profiles if start <= day]
    return max(in_force, key=lambda pair: pair[0])[1] if in_force else PolicySettings()
