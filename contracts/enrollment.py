"""Events published by the enrollment service on `enrollment.events`.

Keys: a student's events by `student_id` (so one child's changes stay in order), a class's by `class_id`,
a program's by `program_id`, school-wide facts (terms, policy, staff) by `school_id`. Events carry ids and
only the personal data a consumer needs (a child's given name for alerts; never phone or id numbers).
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.policy import PolicySettings

TOPIC = "enrollment.events"

Grade = Field(ge=1, le=9)


class _SchoolEvent(Event, topic=TOPIC, key_field="school_id"):
    """An event about the school as a whole (keyed by school)."""


class _StudentEvent(Event, topic=TOPIC, key_field="student_id"):
    """An event about one child (keyed by student, so their events stay in order)."""


class _StudentOfSchool(_StudentEvent):
    """An event about one child that names the child and their school first."""

    student_id: str
    school_id: str


# --- school set-up ---------------------------------------------------------------------------------------------


class SchoolRegistered(_SchoolEvent):
    """A school joined the district's deployment."""

    type: ClassVar[str] = "enrollment.school_registered.v1"

    school_id: str
    district_id: str
    name: str
    timezone: str = "Asia/Shanghai"


class DayKind(StrEnum):
    """What a calendar day is for a school (EN-5; HW-3 caps differ by it)."""

    SCHOOL_DAY = "school_day"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    VACATION = "vacation"


class TermCalendarSet(_SchoolEvent):
    """A term's calendar was set or changed (the latest event for a term_id replaces the earlier ones)."""

    type: ClassVar[str] = "enrollment.term_calendar_set.v1"

    term_id: str
    school_id: str
    name: str
    starts_on: date
    ends_on: date
    holidays: list[date] = Field(default_factory=list, description="weekdays without school (节假日)")
    makeup_days: list[date] = Field(default_factory=list, description="weekend days with school (调休补课)")
    winter_from: date | None = Field(default=None, description="EN-5: winter timetable from (inclusive)")
    winter_to: date | None = Field(default=None, description="EN-5: winter timetable to (inclusive)")

    def day_kind(self, day: date) -> DayKind:
        """School day, weekend, holiday (within the term) or vacation (outside it)."""
        if not self.starts_on <= day <= self.ends_on:
            return DayKind.VACATION
        if day in self.holidays:
            return DayKind.HOLIDAY
        if day.weekday() >= 5 and day not in self.makeup_days:
            return DayKind.WEEKEND
        return DayKind.SCHOOL_DAY

    def is_winter(self, day: date) -> bool:
        """EN-5: whether the winter timetable (earlier extended-care end) applies."""
        return self.winter_from is not None and self.winter_to is not None and self.winter_from <= day <= self.winter_to


def kind_of_day(day: date, term: TermCalendarSet | None, *, school_has_calendar: bool) -> DayKind:
    """EN-5: the kind of `day`, from the term covering it (`term`). Outside every term it is vacation; a school
    that has published no calendar yet gets Monday–Friday school days, so caps and timers still apply."""
    if term is not None:
        return term.day_kind(day)
    if school_has_calendar:
        return DayKind.VACATION
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.SCHOOL_DAY


class GradeBandDefined(_SchoolEvent):
    """A grade band (e.g. grades 1–2) the school uses for dismissal and program levels."""

    type: ClassVar[str] = "enrollment.grade_band_defined.v1"

    band_id: str
    school_id: str
    name: str
    grades: list[int]


class RoomDefined(_SchoolEvent):
    """A room where sessions are held; the reception room (接待室) is flagged (AT-6)."""

    type: ClassVar[str] = "enrollment.room_defined.v1"

    room_id: str
    school_id: str
    name: str
    capacity: int = Field(ge=1)
    is_reception: bool = False


class StaffRole(StrEnum):
    """What a member of staff may be asked to do (a person may hold several)."""

    CLASS_TEACHER = "class_teacher"
    SERVICE_TEACHER = "service_teacher"
    SUBJECT_TEACHER = "subject_teacher"
    DUTY_LEADER = "duty_leader"
    SCHOOL_ADMIN = "school_admin"
    EXTERNAL_PROVIDER = "external_provider"


class StaffMemberRegistered(_SchoolEvent):
    """A member of staff (or an external provider's teacher); `staff_id` is their token subject."""

    type: ClassVar[str] = "enrollment.staff_member_registered.v1"

    staff_id: str
    school_id: str
    roles: list[StaffRole]
    external: bool = False


class _ClassEvent(Event, topic=TOPIC, key_field="class_id"):
    """An event about one class (keyed by class)."""


class ClassCreated(_ClassEvent):
    """A class (班级) of a grade was set up in a school."""

    type: ClassVar[str] = "enrollment.class_created.v1"

    class_id: str
    school_id: str
    grade: int = Grade
    name: str


class ClassTeacherAssigned(_ClassEvent):
    """The class teacher (班主任) of a class: first reviewer of its applications, approver of its leave."""

    type: ClassVar[str] = "enrollment.class_teacher_assigned.v1"

    class_id: str
    school_id: str
    staff_id: str


class _TeachingEvent(_ClassEvent):
    """Who teaches which subject to a class."""

    class_id: str
    school_id: str
    staff_id: str
    school_subject: str = Field(description="语文, 数学, 英语, … as the school names it")


class TeachingAssigned(_TeachingEvent):
    """A subject teacher teaches a subject to a class (so may set its homework, HW-4)."""

    type: ClassVar[str] = "enrollment.teaching_assigned.v1"


class TeachingUnassigned(_TeachingEvent):
    """A subject teacher no longer teaches the subject to the class."""

    type: ClassVar[str] = "enrollment.teaching_unassigned.v1"


class DutyRosterSet(_SchoolEvent):
    """AT-6/AT-10: the duty leaders (值班领导) of a school on one day, the whole list, replacing any earlier one for
    that day; empty when the day's roster was cleared. Whoever is on it is called at the duty-leader steps."""

    type: ClassVar[str] = "enrollment.duty_roster_set.v1"

    school_id: str
    day: date = Field(description="the school's local date")
    staff_ids: list[str] = Field(description="the day's duty leaders, sorted; empty = nobody rostered")


class PolicyProfileSet(_SchoolEvent):
    """PL-1: the school's resolved settings in force from `effective_from` until its next profile.

    Consumers keep every (school, effective_from) they receive and judge a day by the latest one not after it;
    a later event for the same (school, effective_from) replaces the earlier (higher `version`).
    """

    type: ClassVar[str] = "enrollment.policy_profile_set.v1"

    school_id: str
    effective_from: date
    version: int = Field(ge=1, description="increases with every change of the school's resolved profiles")
    settings: PolicySettings


# --- roster ----------------------------------------------------------------------------------------------------


class StudentEnrolled(_StudentOfSchool):
    """A student joined a school's roster in a class; the name is what alerts address the child by."""

    type: ClassVar[str] = "enrollment.student_enrolled.v1"
    class_id: str
    grade: int = Grade
    name: str = Field(description="given name used in guardian alerts; no id number, no birth date")


class PriorityGroup(StrEnum):
    """EN-3: groups served first when places are short."""

    LEFT_BEHIND = "left_behind"
    MIGRANT_WORKER = "migrant_worker"
    SINGLE_PARENT = "single_parent"
    DISABLED = "disabled"
    FINANCIAL_DIFFICULTY = "financial_difficulty"


class StudentTransferred(_StudentOfSchool):
    """A student moved to another class of the same school (EN-8)."""

    type: ClassVar[str] = "enrollment.student_transferred.v1"
    from_class_id: str
    to_class_id: str
    grade: int = Grade
    effective_on: date


class StudentLeft(_StudentOfSchool):
    """A student left the school's roster (EN-8); nothing is expected of them from `effective_on`."""

    type: ClassVar[str] = "enrollment.student_left.v1"
    effective_on: date


class StudentErased(_StudentOfSchool):
    """PIPL: the child left longer ago than the retention period, and enrollment erased their personal data; every
    service erases its copies of the child's, and of the listed guardians' (who have no other child left)."""

    type: ClassVar[str] = "enrollment.student_erased.v1"
    left_on: date
    guardian_ids: list[str] = Field(default_factory=list, description="guardians erased with the child")


class _GuardianEvent(_StudentEvent):
    """A guardian of one child."""

    guardian_id: str
    student_id: str
    school_id: str


class GuardianLinked(_GuardianEvent):
    """A guardian was linked to a student and will be told about the child (NT-1)."""

    type: ClassVar[str] = "enrollment.guardian_linked.v1"
    relation: str = Field(description="母亲, 父亲, 祖父母, … as the school records it")
    preferred_language: Literal["zh", "en"] = "zh"


class GuardianUnlinked(_GuardianEvent):
    """A guardian is no longer a guardian of the child (and is told nothing more about them)."""

    type: ClassVar[str] = "enrollment.guardian_unlinked.v1"


class _PickupPersonEvent(_StudentEvent):
    """An adult who may, or must never, collect one child."""

    person_id: str
    student_id: str
    school_id: str


class PickupPersonAdded(_PickupPersonEvent):
    """BX-2/AT-5: an adult authorised to collect the child, with their own kiosk credential reference."""

    type: ClassVar[str] = "enrollment.pickup_person_added.v1"
    relation: str
    credential_ref: str = Field(description="the card/QR/face id reference the kiosk reports; not an id number")
    guardian_id: str | None = Field(default=None, description="set when the person is one of the guardians")
    name: str | None = Field(
        default=None, description="NT-1: the name the guardians' check-out alert gives (never the id number)"
    )


class PickupPersonRemoved(_PickupPersonEvent):
    """The adult may no longer collect the child."""

    type: ClassVar[str] = "enrollment.pickup_person_removed.v1"


class PickupPersonRestricted(_PickupPersonEvent):
    """BX-2: a person who must never collect the child (custody order); a check-out attempt alerts at once."""

    type: ClassVar[str] = "enrollment.pickup_person_restricted.v1"
    credential_ref: str | None = None


class WalkHomePermissionSet(_StudentOfSchool):
    """AT-5: the guardian's standing permission for the child to leave alone (granted or withdrawn)."""

    type: ClassVar[str] = "enrollment.walk_home_permission_set.v1"
    allowed: bool
    guardian_id: str
    effective_from: date


# --- programs and fees -----------------------------------------------------------------------------------------


class ProgramKind(StrEnum):
    """EN-4/EN-6: the base service, a club, or an optional service."""

    HOMEWORK_SUPERVISION = "homework_supervision"
    CLUB = "club"
    EARLY_ARRIVAL = "early_arrival"
    NOON_CARE = "noon_care"
    BUS = "bus"


class _ProgramEvent(Event, topic=TOPIC, key_field="program_id"):
    """An event about one program (keyed by program)."""


class ProgramScheduled(_ProgramEvent):
    """A program was published or changed (the latest event for a program replaces the earlier ones)."""

    type: ClassVar[str] = "enrollment.program_scheduled.v1"

    program_id: str
    school_id: str
    term_id: str
    kind: ProgramKind
    name: str
    capacity: int = Field(ge=1)
    room_id: str | None = None
    teacher_ids: list[str] = Field(default_factory=list, description="staff ids (school or external provider)")
    weekdays: list[int] = Field(description="0 = Monday")
    starts_at: time
    class_hours: int = Field(ge=1, description="length in class-hours of the school's length (EN-5)")
    min_grade: int = Grade
    max_grade: int = Grade
    specialty: bool = Field(default=False, description="ST-2: a specialty program earns the supplement")


class ProgramCancelled(_ProgramEvent):
    """A program will not run any more (its places are released)."""

    type: ClassVar[str] = "enrollment.program_cancelled.v1"

    program_id: str
    school_id: str
    effective_on: date


class FeeKind(StrEnum):
    """EN-7: how families pay for a program."""

    PER_CLASS_HOUR = "per_class_hour"
    MONTHLY = "monthly"
    FREE = "free"


class FeePlanSet(_ProgramEvent):
    """EN-7: a program's fee plan from `effective_from` (integer fen)."""

    type: ClassVar[str] = "enrollment.fee_plan_set.v1"

    fee_plan_id: str
    program_id: str
    school_id: str
    kind: FeeKind
    fen_per_class_hour: int = Field(default=0, ge=0)
    max_charged_class_hours_per_day: int | None = Field(default=None, ge=0, description="daily cap; None = none")
    fen_per_month: int = Field(default=0, ge=0)
    effective_from: date


class _FeeWaiverEvent(_StudentEvent):
    """A waiver of one child's fees."""

    waiver_id: str
    student_id: str
    school_id: str


class FeeWaiverGranted(_FeeWaiverEvent):
    """EN-7: a family pays only `percent_payable` % of a program's fees (0 = free) over the dates given."""

    type: ClassVar[str] = "enrollment.fee_waiver_granted.v1"
    program_id: str | None = Field(default=None, description="None = every program")
    percent_payable: int = Field(ge=0, le=100)
    valid_from: date
    valid_to: date | None = None


class FeeWaiverRevoked(_FeeWaiverEvent):
    """A waiver ends from `effective_on`."""

    type: ClassVar[str] = "enrollment.fee_waiver_revoked.v1"
    effective_on: date


# --- applications (EN-1, EN-2) ---------------------------------------------------------------------------------


class ApplicationStep(StrEnum):
    """EN-1: where an application stands."""

    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    WITHDRAWN = "withdrawn"


class _ApplicationEvent(_StudentEvent):
    """A step of one child's application for a term; `by` is the acting person's id."""

    application_id: str
    student_id: str
    school_id: str
    term_id: str
    by: str
    at: AwareDatetime


class ApplicationSubmitted(_ApplicationEvent):
    """EN-1: a guardian applied in writing, ranking club choices (best first)."""

    type: ClassVar[str] = "enrollment.application_submitted.v1"

    club_choices: list[str] = Field(default_factory=list, description="program ids, best first")
    options: list[ProgramKind] = Field(default_factory=list, description="EN-6 optional services asked for")


class ApplicationReviewed(_ApplicationEvent):
    """EN-1: the class teacher's first review passed."""

    type: ClassVar[str] = "enrollment.application_reviewed.v1"


class ApplicationApproved(_ApplicationEvent):
    """EN-1: the school approved; the guardian is asked to sign the agreement."""

    type: ClassVar[str] = "enrollment.application_approved.v1"


class ApplicationRejected(_ApplicationEvent):
    """EN-1: a step rejected the application, with the reason the guardian is told."""

    type: ClassVar[str] = "enrollment.application_rejected.v1"

    step: ApplicationStep = Field(description="the step that rejected")
    reason: str


class AgreementSigned(_ApplicationEvent):
    """EN-1: the guardian signed the service agreement; the enrollment is active from `active_from`."""

    type: ClassVar[str] = "enrollment.agreement_signed.v1"

    active_from: date


class ParticipationDeclined(_ApplicationEvent):
    """EN-1: the guardian declined the service, with the reason they recorded (the application may be new)."""

    type: ClassVar[str] = "enrollment.participation_declined.v1"

    reason: str


class WithdrawalRequested(_ApplicationEvent):
    """EN-2: a written withdrawal request, effective on the notice date if the school approves."""

    type: ClassVar[str] = "enrollment.withdrawal_requested.v1"

    effective_on: date
    reason: str


class EnrollmentWithdrawn(_ApplicationEvent):
    """EN-2: the school approved the withdrawal; the child leaves the service on `effective_on`."""

    type: ClassVar[str] = "enrollment.enrollment_withdrawn.v1"

    effective_on: date


class WithdrawalRefused(_ApplicationEvent):
    """EN-2: the school refused the withdrawal request, with a reason."""

    type: ClassVar[str] = "enrollment.withdrawal_refused.v1"

    reason: str


# --- club places (EN-3, BX-1) ----------------------------------------------------------------------------------


class _ClubPlaceEvent(_StudentEvent):
    """One child's place in one club."""

    program_id: str
    student_id: str
    school_id: str


class ClubPlaceAllocated(_ClubPlaceEvent):
    """A child has a place in a club (by an allocation run, or directly when places were free)."""

    type: ClassVar[str] = "enrollment.club_place_allocated.v1"
    run_id: str | None = None


class ClubPlaceWaitlisted(_ClubPlaceEvent):
    """A child is on a club's waitlist at `position` (1 = next to be promoted)."""

    type: ClassVar[str] = "enrollment.club_place_waitlisted.v1"
    position: int = Field(ge=1)
    run_id: str | None = None


class ClubPlacePromoted(_ClubPlaceEvent):
    """BX-1: a place freed and the first child on the waitlist got it."""

    type: ClassVar[str] = "enrollment.club_place_promoted.v1"


class ClubPlaceReleased(_ClubPlaceEvent):
    """A child gave up (or lost, by withdrawal) a club place from `effective_on`."""

    type: ClassVar[str] = "enrollment.club_place_released.v1"
    effective_on: date


class AllocationRunCompleted(_SchoolEvent):
    """EN-3: an allocation run finished; its seed and result are kept by enrollment for audit."""

    type: ClassVar[str] = "enrollment.allocation_run_completed.v1"

    run_id: str
    school_id: str
    term_id: str
    seed: int
    allocated: int
    waitlisted: int


EVENTS: tuple[type[Event], ...] = (
    SchoolRegistered,
    TermCalendarSet,
    GradeBandDefined,
    RoomDefined,
    StaffMemberRegistered,
    ClassCreated,
    ClassTeacherAssigned,
    TeachingAssigned,
    TeachingUnassigned,
    DutyRosterSet,
    PolicyProfileSet,
    StudentEnrolled,
    StudentTransferred,
    StudentLeft,
    StudentErased,
    GuardianLinked,
    GuardianUnlinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    WalkHomePermissionSet,
    ProgramScheduled,
    ProgramCancelled,
    FeePlanSet,
    FeeWaiverGranted,
    FeeWaiverRevoked,
    ApplicationSubmitted,
    ApplicationReviewed,
    ApplicationApproved,
    ApplicationRejected,
    AgreementSigned,
    ParticipationDeclined,
    WithdrawalRequested,
    EnrollmentWithdrawn,
    WithdrawalRefused,
    ClubPlaceAllocated,
    ClubPlaceWaitlisted,
    ClubPlacePromoted,
    ClubPlaceReleased,
    AllocationRunCompleted,
)
