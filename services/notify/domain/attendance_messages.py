"""What guardians are told about their child's afternoon (NT-1): check-out, refused pickups, not collected,
absence, leave, and the school's emergency broadcasts. Urgent alerts are flagged (NT-2: they ignore quiet hours)."""

from __future__ import annotations

from datetime import datetime

from services.notify.domain.messages import Language, Message, school_clock

_RELEASE = {
    "pickup_person": ("由接送人接走", "was collected"),
    "walk_alone": ("自行离校（家长已授权）", "left alone, as you allowed"),
    "bus": ("乘校车离校", "left on the school bus"),
    "program": ("转入其他课后项目", "went on to another program"),
}


def checked_out_message(
    name: str,
    occurred_at: datetime,
    release: str,
    language: Language,
    collected_by: str | None = None,
    collector_name: str | None = None,
) -> Message:
    """NT-1: child checked out, how and when (AT-5), and by whom: the relation the school recorded and the person's
    name, as far as they are known."""
    at = school_clock(occurred_at)
    if release == "pickup_person" and (collected_by or collector_name):
        if language == "en":
            who = (
                f"{collector_name} ({collected_by})"
                if collected_by and collector_name
                else collected_by or collector_name
            )
            return Message("Checked out", f"{name} was collected by {who} at {at}.")
        return Message("离校通知", f"{name}已于{at}由{collected_by or ''}{collector_name or ''}接走。")
    zh, en = _RELEASE.get(release, ("离校", "left"))
    if language == "en":
        return Message("Checked out", f"{name} {en} at {at}.")
    return Message("离校通知", f"{name}已于{at}{zh}。")


def pickup_refused_message(name: str, restricted: bool, language: Language) -> Message:
    """BX-2/AT-5: someone not authorised tried to collect the child; urgent when it was a restricted person."""
    if language == "en":
        who = "A person barred from collecting" if restricted else "Someone not on the pickup list"
        return Message("Pickup refused", f"{who} tried to collect {name} and was refused. The school is aware.", True)
    who = "受限制人员" if restricted else "未经授权的人员"
    return Message("接送被拒绝", f"{who}试图接走{name}，已被拒绝，学校已知悉。", True)


def reception_message(name: str, language: Language) -> Message:
    """AT-6: not collected after dismissal, the child waits in the reception room."""
    if language == "en":
        return Message("Not collected", f"{name} has not been collected and is waiting in the reception room.", True)
    return Message("尚未接走", f"{name}放学后仍未被接走，已在接待室等候，请尽快来接。", True)


def not_collected_message(name: str, step: int, language: Language) -> Message:
    """AT-6: the escalation ladder's call, urgent."""
    if language == "en":
        return Message("Please collect your child", f"{name} is still waiting to be collected (call {step}).", True)
    return Message("请尽快接孩子", f"{name}仍在等待接走（第{step}次提醒）。", True)


def late_pickup_message(name: str, fee_fen: int, language: Language) -> Message:
    """BX-5/NT-1: the late-pickup fee, in yuan from integer fen."""
    yuan = f"{fee_fen // 100}.{fee_fen % 100:02d}"
    if language == "en":
        return Message("Late pickup fee", f"A late pickup fee of {yuan} yuan was charged for {name}.")
    return Message("延时接送费", f"{name}产生延时接送费{yuan}元。")


def absence_message(name: str, language: Language) -> Message:
    """AT-3: expected, not checked in and without leave: urgent."""
    if language == "en":
        return Message("Absent", f"{name} has not arrived at the after-school session and has no leave.", True)
    return Message("未到提醒", f"{name}未到课后服务签到，且未请假，请尽快联系班主任。", True)


def missing_from_session_message(name: str, language: Language) -> Message:
    """BX-4: at school today, but not at the after-school session: urgent."""
    if language == "en":
        return Message(
            "Missing from session", f"{name} was in class today but is not at the after-school session.", True
        )
    return Message("课后服务缺席", f"{name}今天在校上课，但未到课后服务。", True)


def leave_message(name: str, approved: bool, language: Language) -> Message:
    """AT-3/NT-1: the class teacher's decision on a leave request."""
    if language == "en":
        return Message("Leave", f"Leave for {name} was {'approved' if approved else 'refused'}.")
    return Message("请假结果", f"{name}的请假申请{'已批准' if approved else '未获批准'}。")


_REASON = {"weather": ("恶劣天气", "bad weather"), "emergency": ("突发事件", "an emergency"), "other": ("特殊情况", "")}


def emergency_message(reason: str, dismiss_at: datetime, drill: bool, note: str | None, language: Language) -> Message:
    """AT-7/BX-7: early dismissal for the school or some grades; a drill says so."""
    zh_reason, en_reason = _REASON.get(reason, _REASON["other"])
    if language == "en":
        because = f" because of {en_reason}" if en_reason else ""
        body = f"The school dismisses early{because} at {school_clock(dismiss_at)}." + (f" {note}" if note else "")
        return Message("[Drill] Early dismissal" if drill else "Early dismissal", body, not drill)
    body = f"因{zh_reason}，学校将于{school_clock(dismiss_at)}提前放学。" + (note or "")
    return Message("【演练】提前放学" if drill else "提前放学通知", body, not drill)


def all_clear_message(drill: bool, language: Language) -> Message:
    """BX-7: the all-clear."""
    if language == "en":
        return Message("All clear", "The drill is over." if drill else "The school's early-dismissal alert is over.")
    return Message("解除通知", "演练结束。" if drill else "学校提前放学警报已解除。")
