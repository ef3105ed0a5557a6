"""Stipend tables several slices read: the facts it pays from (its own copies) and the issued family statements."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, Time
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Stipend's own tables."""


TABLES = ChassisTables(Base.metadata)


# --- enrollment's facts (reference copies; nothing is configured twice) ---------------------------------------


class RefPolicy(Base):
    """PL-1: a school's resolved settings in force from `effective_from` (the highest version wins)."""

    __tablename__ = "ref_policies"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class RefTerm(Base):
    """EN-5: a term's calendar (the latest TermCalendarSet of the term)."""

    __tablename__ = "ref_terms"

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON)


class RefProgram(Base):
    """EN-4/EN-6: a program's schedule (the latest ProgramScheduled; `cancelled_on` from ProgramCancelled)."""

    __tablename__ = "ref_programs"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    term_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    starts_at: Mapped[time] = mapped_column(Time)
    class_hours: Mapped[int] = mapped_column(Integer)
    min_grade: Mapped[int] = mapped_column(Integer)
    max_grade: Mapped[int] = mapped_column(Integer)
    specialty: Mapped[bool] = mapped_column(Boolean)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class RefStudent(Base):
    """A child of the roster and their grade (StudentEnrolled, StudentTransferred)."""

    __tablename__ = "ref_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int] = mapped_column(Integer)


class RefGuardian(Base):
    """A guardian of a child: who may read the child's fee statements."""

    __tablename__ = "ref_guardians"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(64))


class RefClubPlace(Base):
    """EN-4: a child's club place (released from `released_on`)."""

    __tablename__ = "ref_club_places"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class RefOptions(Base):
    """EN-6: the optional services (early arrival, noon care, bus) a family asked for in an application."""

    __tablename__ = "ref_options"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    options: Mapped[list[str]] = mapped_column(JSON)


class RefFeePlan(Base):
    """EN-7: a program's fee plan from a date (FeePlanSet)."""

    __tablename__ = "ref_fee_plans"

    fee_plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    fen_per_class_hour: Mapped[int] = mapped_column(Integer)
    max_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fen_per_month: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)


class RefWaiver(Base):
    """EN-7: a fee waiver of a child (FeeWaiverGranted; `revoked_on` from FeeWaiverRevoked)."""

    __tablename__ = "ref_waivers"

    waiver_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    percent_payable: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoked_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class RefSchool(Base):
    """A school and its district (SchoolRegistered): what a district operator's roll-up covers."""

    __tablename__ = "ref_schools"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))


# --- attendance's facts (each kept once by its natural id, with the event that brought it) --------------------


class ChildDayFact:
    """The columns of a fact about one child on one school day: whose, which school, day and month, and the event."""

    student_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    month: Mapped[str] = mapped_column(String(7))
    event_id: Mapped[str] = mapped_column(String(64))


class CheckIn(ChildDayFact, Base):
    """AT-2: a child's check-in (the earliest of a day starts the child's presence, SR-1)."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_school_month", "school_id", "month"),)

    check_in_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckOut(ChildDayFact, Base):
    """AT-5: a child's check-out (the latest of a day ends the child's presence, SR-1)."""

    __tablename__ = "check_outs"
    __table_args__ = (Index("ix_check_outs_school_month", "school_id", "month"),)

    check_out_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Leave(ChildDayFact, Base):
    """AT-3: approved leave (explains a day without class-hours)."""

    __tablename__ = "leaves"
    __table_args__ = (Index("ix_leaves_school_month", "school_id", "month"),)

    leave_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class LatePickupFee(ChildDayFact, Base):
    """BX-5: a late-pickup fee attendance charged for a check-out."""

    __tablename__ = "late_pickup_fees"
    __table_args__ = (Index("ix_late_fees_school_month", "school_id", "month"),)

    check_out_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minutes_late: Mapped[int] = mapped_column(Integer)
    fee_fen: Mapped[int] = mapped_column(Integer)


class StaffFact(Base):
    """AT-9/AT-10: a teacher's sign-in, activity record revision, patrol or incident for a session.

    `fact_id` is the natural id (sign-in: teacher + session; record: record + revision; patrol; incident), so a
    redelivery, even in a new envelope, is a no-op (ST-7).
    """

    __tablename__ = "staff_facts"
    __table_args__ = (Index("ix_staff_facts_school_month", "school_id", "month"),)

    fact_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(128))
    session_date: Mapped[date] = mapped_column(Date)
    month: Mapped[str] = mapped_column(String(7))
    session_kind: Mapped[str] = mapped_column(String(32))
    program_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    half_session: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- family statements as issued (ST-6): family statements issue them, family accounts read them ------------


class IssuedFamilyStatement(Base):
    """A child's month as issued to the family (ST-6, NT-1): the figures are kept as they were sent."""

    __tablename__ = "family_statements"
    __table_args__ = (Index("ix_family_statements_school_month", "school_id", "month"),)

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gross_fen: Mapped[int] = mapped_column(Integer)
    waived_fen: Mapped[int] = mapped_column(Integer)
    late_pickup_fen: Mapped[int] = mapped_column(Integer)
    due_fen: Mapped[int] = mapped_column(Integer)
    adjustments_fen: Mapped[int] = mapped_column(Integer)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
