"""Stipend events → guardians' fee alerts (NT-1): a child's monthly fee statement was issued (ST-6)."""

from __future__ import annotations

from chassis.consumer import Handler
from contracts.envelope import Event
from contracts.stipend import FamilyStatementIssued
from services.notify.alerts.handlers import alert_guardians
from services.notify.domain.messages import Language, Message


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def statement_issued_message(event: FamilyStatementIssued, name: str, language: Language) -> Message:
    """NT-1 (fees): the month's statement is out, with what it adds to the family's balance, in yuan from fen; an
    adjustment of months issued before (ST-5/ST-6) is named apart, so the total can be checked."""
    year, month = event.month.split("-")
    total, adjustments = _yuan(event.total_fen), _yuan(event.adjustments_fen)
    if language == "en":
        body = f"The after-school fee statement of {name} for {event.month} is issued: {total} yuan"
        if event.adjustments_fen:
            body += f" ({_yuan(event.due_fen)} yuan this month, {adjustments} yuan adjusting earlier months)"
        return Message("Fee statement issued", body + ".")
    body = f"{name}{int(year)}年{int(month)}月的课后服务费用账单已出，合计{total}元"
    if event.adjustments_fen:
        body += f"（本月{_yuan(event.due_fen)}元，以前月份调整{adjustments}元）"
    return Message("课后服务费用账单", body + "。")


def fee_alerts() -> dict[type[Event], Handler]:
    """The handlers of the stipend events a guardian is told about: the guardians linked to the child (from
    enrollment's events, as for attendance alerts), once per event and guardian (NT-3), through the channels
    each chose for the `fees` category (NT-2)."""
    return {FamilyStatementIssued: alert_guardians(statement_issued_message)}
