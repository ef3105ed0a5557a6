"""What a guardian is told, in the language they chose (NT-1, NT-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from chassis.clock import SCHOOL_TZ

Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Message:
    """A notification's title and body."""

    title: str
    body: str
    urgent: bool = False


def school_clock(moment: datetime) -> str:
    """The moment as the school's wall clock shows it, "16:05" (formatted by hand: `strftime` was a twentieth of
    notify's CPU in a check-in backlog, called once per guardian)."""
    local = moment.astimezone(SCHOOL_TZ)
    return f"{local.hour:02d}:{local.minute:02d}"


def check_in_message(child_name: str, occurred_at: datetime, language: Language) -> Message:
    """NT-1: child checked in, with the school-local time of the device event."""
    local = school_clock(occurred_at)
    if language == "en":
        return Message("Checked in", f"{child_name} checked in to the after-school service at {local}.")
    return Message("课后服务签到", f"{child_name}已于{local}签到参加课后服务。")


_STEP_TEXT: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # event type -> ((zh title, zh body), (en title, en body)); `{name}` and `{reason}` are filled in.
    "enrollment.application_submitted.v1": (
        ("课后服务申请已提交", "{name}的课后服务申请已提交，等待班主任初审。"),
        ("Application received", "The application for {name} was received; the class teacher reviews it next."),
    ),
    "enrollment.application_reviewed.v1": (
        ("班级初审通过", "{name}的课后服务申请已通过班级初审，等待学校核准。"),
        ("Class review passed", "The application for {name} passed the class review; the school approves next."),
    ),
    "enrollment.application_approved.v1": (
        ("学校已核准", "{name}的课后服务申请已获学校核准，请签署服务协议。"),
        ("Approved by the school", "The application for {name} was approved; please sign the service agreement."),
    ),
    "enrollment.application_rejected.v1": (
        ("申请未通过", "{name}的课后服务申请未通过：{reason}"),
        ("Application not accepted", "The application for {name} was not accepted: {reason}"),
    ),
    "enrollment.agreement_signed.v1": (
        ("服务协议已签署", "{name}的课后服务协议已签署，报名生效。"),
        ("Agreement signed", "The service agreement for {name} is signed; the enrollment is active."),
    ),
    "enrollment.participation_declined.v1": (
        ("已登记不参加", "已登记{name}不参加课后服务：{reason}"),
        ("Declined", "We recorded that {name} will not take part in the after-school service: {reason}"),
    ),
    "enrollment.withdrawal_requested.v1": (
        ("退出申请已提交", "{name}的课后服务退出申请已提交，等待学校审批。"),
        ("Withdrawal requested", "The request to withdraw {name} from the after-school service awaits the school."),
    ),
    "enrollment.enrollment_withdrawn.v1": (
        ("退出已批准", "学校已批准{name}退出课后服务。"),
        ("Withdrawal approved", "The school approved the withdrawal of {name} from the after-school service."),
    ),
    "enrollment.withdrawal_refused.v1": (
        ("退出申请未获批准", "{name}的退出申请未获批准：{reason}"),
        ("Withdrawal refused", "The request to withdraw {name} was refused: {reason}"),
    ),
    "enrollment.club_place_allocated.v1": (
        ("社团名额已分配", "{name}已获得所选社团的名额。"),
        ("Club place", "{name} has a place in a chosen club."),
    ),
    "enrollment.club_place_waitlisted.v1": (
        ("社团候补", "{name}已列入社团候补名单。"),
        ("Club waitlist", "{name} is on a club's waitlist."),
    ),
    "enrollment.club_place_promoted.v1": (
        ("候补转正", "社团有空位，{name}已从候补转为正式成员。"),
        ("Off the waitlist", "A club place freed and {name} now has it."),
    ),
}

ENROLLMENT_STEP_TYPES = frozenset(_STEP_TEXT)


def enrollment_step_message(event_type: str, child_name: str, reason: str | None, language: Language) -> Message:
    """EN-1, NT-1: the guardian is told of every step of the application and of club places."""
    (zh_title, zh_body), (en_title, en_body) = _STEP_TEXT[event_type]
    title, body = (en_title, en_body) if language == "en" else (zh_title, zh_body)
    return Message(title, body.format(name=child_name, reason=reason or ""))


def weekly_plan_message(child_name: str, week_start: date, version: int, language: Language) -> Message:
    """HW-8, NT-1: the class's homework plan for next week was published (or, version > 1, revised)."""
    if language == "en":
        title = "Homework plan revised" if version > 1 else "Homework plan published"
        return Message(title, f"The homework plan of {child_name}'s class for the week of {week_start} is online.")
    title = "家庭作业安排已更新" if version > 1 else "下周家庭作业安排已公示"
    return Message(
        title, f"{child_name}所在班级{week_start.month}月{week_start.day}日起一周的家庭作业安排已公示，请查看。"
    )


PLAN_CHANGES: dict[str, Literal["added", "changed", "withdrawn"]] = {
    "homework.homework_assigned.v1": "added",
    "homework.homework_changed.v1": "changed",
    "homework.homework_withdrawn.v1": "withdrawn",
}
_CHANGE_ZH = {"added": "新增", "changed": "调整", "withdrawn": "取消"}


def plan_change_message(
    child_name: str, subject: str, on: date, change: Literal["added", "changed", "withdrawn"], language: Language
) -> Message:
    """HW-8, NT-1: homework of a day changed after the week's plan was published."""
    if language == "en":
        return Message(
            "Homework plan changed",
            f"After the plan was published, {subject} homework of {child_name}'s class for {on} was {change}.",
        )
    return Message(
        "家庭作业安排有变更",
        f"{child_name}所在班级{on.month}月{on.day}日的{subject}作业在公示后{_CHANGE_ZH[change]}，请查看。",
    )
