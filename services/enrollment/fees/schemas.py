"""Request and answer models of fee plans and waivers (`services.enrollment.fees.api`, EN-7)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from chassis.http import Body, Create, Id, Reason
from chassis.openapi import examples
from contracts.enrollment import FeeKind
from services.enrollment.fields import ExternalId, OnDay, ProgramId, StudentId

# Strict: money and counts are whole numbers in JSON; 2.3 (yuan, not fen) or "230" is refused, never coerced.
WholeNumber = Annotated[int, Field(strict=True)]


def _as_utc(moment: datetime) -> datetime:
    # Stored in UTC; SQLite (the embedded mode) hands the value back without its zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcTime = Annotated[datetime, AfterValidator(_as_utc)]


class FeePlanBody(Body):
    """EN-7: how a program is paid from `effective_from` (today or later), in integer fen."""

    model_config = examples(
        {
            "kind": "per_class_hour",
            "effective_from": "2026-12-01",
            "fen_per_class_hour": 230,
            "max_charged_class_hours_per_day": 2,
        }
    )

    kind: FeeKind = Field(description="per_class_hour with a daily cap, monthly (多退少补), or free (公益) (EN-7)")
    effective_from: date = Field(description="the school day the plan applies from: today or later")
    fen_per_class_hour: WholeNumber | None = Field(None, description="per_class_hour: fen per class-hour, e.g. 230")
    max_charged_class_hours_per_day: WholeNumber | None = Field(None, description="per_class_hour: daily cap, e.g. 2")
    fen_per_month: WholeNumber | None = Field(None, description="monthly: fen per month, e.g. 16000")


class FeePlanPublic(BaseModel):
    """One setting of a program's fee plan; `version` orders the settings (a later one replaces an earlier)."""

    model_config = examples(
        {
            "fee_plan_id": "fp-0001",
            "program_id": "pg-homework",
            "version": 1,
            "kind": "per_class_hour",
            "fen_per_class_hour": 230,
            "max_charged_class_hours_per_day": 2,
            "fen_per_month": 0,
            "effective_from": "2026-09-01",
            "set_by": "s-admin",
            "set_at": "2026-08-28T02:00:00Z",
        }
    )

    fee_plan_id: str = Field(description="this setting's id")
    program_id: ProgramId
    version: int = Field(description="1, 2, … in the order the plan was set; the latest one for a day applies")
    kind: FeeKind = Field(description="per_class_hour, monthly or free (EN-7)")
    fen_per_class_hour: int = Field(description="fen (分) per charged class-hour; 0 unless per_class_hour")
    max_charged_class_hours_per_day: int | None = Field(
        description="class-hours charged a day at most (e.g. 2 = 4.60 yuan a day at 230); null: no cap"
    )
    fen_per_month: int = Field(description="fen (分) a month, prepaid and settled at term end; 0 unless monthly")
    effective_from: date = Field(description="the school day it applies from")
    set_by: str = Field(description="the school admin who set it (token subject)")
    set_at: UtcTime = Field(description="when it was set, in UTC")


class WaiverCreate(Create):
    """EN-7: the family pays `percent_payable` % (0 = free) of one program's fees (or all) over the period."""

    model_config = examples(
        {
            "percent_payable": 0,
            "valid_from": "2026-09-01",
            "valid_to": "2027-01-22",
            "reason": "建档立卡家庭, 免收课后服务费",
        }
    )

    program_id: Id | None = Field(None, description="none = every program")
    percent_payable: WholeNumber = Field(description="0 (free) to 99")
    valid_from: date = Field(description="the first school day the family pays less")
    valid_to: date | None = Field(None, description="the last such day (inclusive); null: until revoked")
    reason: Reason = Field(description="kept by enrollment for the school's records; never published")


class WaiverRevoke(Body):
    """End a waiver from `effective_on` (today when omitted; never in the past)."""

    model_config = examples({"effective_on": "2026-12-01", "reason": "家庭经济情况好转"})

    effective_on: OnDay = None
    reason: Reason | None = Field(default=None, description="why, for the school's records (never published)")


SCHOOL_ONLY = "school admins only (null for a guardian)"
FAMILY_FIELDS = {"waiver_id", "student_id", "program_id", "percent_payable", "valid_from", "valid_to", "revoked_on"}


class FeeWaiverPublic(BaseModel):
    """A child's waiver; who granted or revoked it, when and why is shown to the school only."""

    model_config = examples(
        {
            "waiver_id": "wv-0001",
            "student_id": "st-xiaoming",
            "program_id": None,
            "percent_payable": 0,
            "valid_from": "2026-09-01",
            "valid_to": "2027-01-22",
            "revoked_on": None,
            "reason": "建档立卡家庭",
            "granted_by": "s-admin",
            "granted_at": "2026-09-01T02:00:00Z",
            "revoked_by": None,
            "revoked_at": None,
            "revoke_reason": None,
        }
    )

    waiver_id: str = Field(description="the waiver's id")
    external_id: ExternalId = None
    student_id: StudentId
    program_id: str | None = Field(description="the program it covers; null: every program")
    percent_payable: int = Field(description="the share of the fee the family pays, 0 (free) to 99 %")
    valid_from: date = Field(description="the first school day it applies")
    valid_to: date | None = Field(description="the last school day it applies (inclusive); null: until revoked")
    revoked_on: date | None = Field(description="the first school day it no longer applies; null: not revoked")
    reason: str | None = Field(None, description=SCHOOL_ONLY)
    granted_by: str | None = Field(None, description=SCHOOL_ONLY)
    granted_at: UtcTime | None = Field(None, description=SCHOOL_ONLY)
    revoked_by: str | None = Field(None, description=SCHOOL_ONLY)
    revoked_at: UtcTime | None = Field(None, description=SCHOOL_ONLY)
    revoke_reason: str | None = Field(None, description=SCHOOL_ONLY)

    def for_family(self) -> FeeWaiverPublic:
        """The waiver without what only the school keeps (the reason is often a family's financial difficulty)."""
        return FeeWaiverPublic.model_validate(self.model_dump(include=FAMILY_FIELDS))
