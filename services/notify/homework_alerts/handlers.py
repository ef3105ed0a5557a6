"""Homework events → guardians' alerts (HW-8, NT-1): the week's plan published, and homework set, changed or
withdrawn after it."""

from __future__ import annotations

from chassis.consumer import Handler
from contracts.envelope import Event
from contracts.homework import HomeworkAssigned, HomeworkChanged, HomeworkWithdrawn, WeeklyPlanPublished
from services.notify.alerts.handlers import StudentHandler, alert_guardians_of_each_child
from services.notify.domain.messages import PLAN_CHANGES, Language, Message, plan_change_message, weekly_plan_message


def homework_alerts() -> dict[type[Event], Handler]:
    """The handlers of the homework events a class's guardians are told about."""
    plan_changes = alert_guardians_of_plan_change()
    return {
        WeeklyPlanPublished: alert_guardians_of_weekly_plan(),
        HomeworkAssigned: plan_changes,
        HomeworkChanged: plan_changes,
        HomeworkWithdrawn: plan_changes,
    }


def alert_guardians_of_weekly_plan() -> StudentHandler:
    """HW-8/NT-1: the guardians of the class's children are told the week's homework plan was published."""

    def compose(event: WeeklyPlanPublished, name: str, language: Language) -> Message:
        return weekly_plan_message(name, event.week_start, event.version, language)

    return alert_guardians_of_each_child(compose)


def alert_guardians_of_plan_change() -> StudentHandler:
    """HW-8: homework set, changed or withdrawn after the week's plan was published is announced to the class."""

    def compose(
        event: HomeworkAssigned | HomeworkChanged | HomeworkWithdrawn, name: str, language: Language
    ) -> Message:
        change = PLAN_CHANGES[event.type]
        return plan_change_message(name, event.school_subject, event.on, change, language)

    return alert_guardians_of_each_child(compose)
