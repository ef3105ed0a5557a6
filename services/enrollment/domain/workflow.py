"""The application workflow (EN-1) and withdrawal notice (EN-2) as a state machine with no I/O.

submitted → (class teacher's first review) reviewed → (school approval) approved → (agreement signed) active;
the review and the approval may reject instead; before the agreement is signed the guardian may decline.
An active enrollment is withdrawn only on a written request with the policy's notice and the school's approval
(a refused request leaves it active).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Stage(StrEnum):
    """Where an application stands (the published `ApplicationStep` plus `declined`, told by its own event)."""

    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """What someone does to an application."""

    SUBMIT = "submit"
    REVIEW = "review"
    APPROVE = "approve"
    REJECT = "reject"
    SIGN = "sign"
    DECLINE = "decline"
    REQUEST_WITHDRAWAL = "request_withdrawal"
    APPROVE_WITHDRAWAL = "approve_withdrawal"
    REFUSE_WITHDRAWAL = "refuse_withdrawal"


class Actor(StrEnum):
    """Who may take a step (EN-1): the child's guardian, the class teacher of the child's class, the school."""

    GUARDIAN = "guardian"
    CLASS_TEACHER = "class_teacher"
    SCHOOL = "school"


_MOVES: dict[tuple[Stage, Action], tuple[Stage, Actor]] = {
    (Stage.SUBMITTED, Action.REVIEW): (Stage.REVIEWED, Actor.CLASS_TEACHER),
    (Stage.SUBMITTED, Action.REJECT): (Stage.REJECTED, Actor.CLASS_TEACHER),
    (Stage.REVIEWED, Action.APPROVE): (Stage.APPROVED, Actor.SCHOOL),
    (Stage.REVIEWED, Action.REJECT): (Stage.REJECTED, Actor.SCHOOL),
    (Stage.APPROVED, Action.SIGN): (Stage.ACTIVE, Actor.GUARDIAN),
    (Stage.SUBMITTED, Action.DECLINE): (Stage.DECLINED, Actor.GUARDIAN),
    (Stage.REVIEWED, Action.DECLINE): (Stage.DECLINED, Actor.GUARDIAN),
    (Stage.APPROVED, Action.DECLINE): (Stage.DECLINED, Actor.GUARDIAN),
    (Stage.ACTIVE, Action.REQUEST_WITHDRAWAL): (Stage.WITHDRAWAL_REQUESTED, Actor.GUARDIAN),
    (Stage.WITHDRAWAL_REQUESTED, Action.APPROVE_WITHDRAWAL): (Stage.WITHDRAWN, Actor.SCHOOL),
    (Stage.WITHDRAWAL_REQUESTED, Action.REFUSE_WITHDRAWAL): (Stage.ACTIVE, Actor.SCHOOL),
}

FINAL = frozenset({Stage.REJECTED, Stage.DECLINED, Stage.WITHDRAWN})
"""Stages after which the family may apply again for the term."""

HOLDS_PLACES = frozenset({Stage.APPROVED, Stage.ACTIVE, Stage.WITHDRAWAL_REQUESTED})
"""Stages whose children keep their club places (a pending withdrawal keeps them until approved)."""

MAY_TAKE_PLACES = frozenset({Stage.APPROVED, Stage.ACTIVE})
"""EN-3: stages whose children take part in allocation runs and may be given a place or promoted."""


class IllegalStep(ValueError):
    """The action is not possible at the application's current stage."""

    def __init__(self, stage: Stage, action: Action) -> None:
        super().__init__(f"cannot {action.value.replace('_', ' ')} an application that is {stage.value}")
        self.stage, self.action = stage, action


class WrongActor(PermissionError):
    """The action belongs to another person at this stage (EN-1)."""

    def __init__(self, actor: Actor, action: Action) -> None:
        super().__init__(f"only the {actor.value.replace('_', ' ')} may {action.value.replace('_', ' ')} now")
        self.actor = actor


@dataclass(frozen=True)
class Move:
    """A legal step: the stage it leads to and who must take it."""

    to: Stage
    actor: Actor


def move(stage: Stage, action: Action) -> Move:
    """EN-1/EN-2: the stage `action` leads to from `stage`, and who takes it; IllegalStep otherwise."""
    found = _MOVES.get((stage, action))
    if found is None:
        raise IllegalStep(stage, action)
    return Move(*found)


def take(stage: Stage, action: Action, actor: Actor) -> Stage:
    """The next stage when `actor` takes `action`; IllegalStep (wrong stage) or WrongActor (wrong person)."""
    step = move(stage, action)
    if step.actor is not actor:
        raise WrongActor(step.actor, action)
    return step.to


class NoticeTooShort(ValueError):
    """EN-2: a withdrawal dated earlier than the policy's notice allows."""


def earliest_withdrawal(today: date, notice_days: int) -> date:
    """EN-2: the first date a withdrawal requested today may take effect."""
    return today + timedelta(days=notice_days)


def check_withdrawal_date(effective_on: date, *, today: date, notice_days: int) -> date:
    """EN-2: a withdrawal takes effect no earlier than `notice_days` after the written request."""
    earliest = earliest_withdrawal(today, notice_days)
    if effective_on < earliest:
        raise NoticeTooShort(
            f"a withdrawal needs {notice_days} days' written notice: requested today ({today.isoformat()}), "
            f"it can take effect on {earliest.isoformat()} at the earliest, not {effective_on.isoformat()}"
        )
    return effective_on
