"""The application workflow as a state machine without I/O (EN-1, EN-2)."""

from __future__ import annotations

from datetime import date

import pytest

from services.enrollment.domain.workflow import (
    FINAL,
    HOLDS_PLACES,
    MAY_TAKE_PLACES,
    Action,
    Actor,
    IllegalStep,
    NoticeTooShort,
    Stage,
    WrongActor,
    check_withdrawal_date,
    earliest_withdrawal,
    move,
    take,
)

pytestmark = pytest.mark.unit


def test_en_1_the_written_application_goes_class_review_school_approval_agreement_active() -> None:
    stage = Stage.SUBMITTED
    for action, actor in (
        (Action.REVIEW, Actor.CLASS_TEACHER),
        (Action.APPROVE, Actor.SCHOOL),
        (Action.SIGN, Actor.GUARDIAN),
    ):
        stage = take(stage, action, actor)
    assert stage is Stage.ACTIVE


def test_en_1_the_class_teacher_rejects_at_review_and_the_school_at_approval() -> None:
    assert take(Stage.SUBMITTED, Action.REJECT, Actor.CLASS_TEACHER) is Stage.REJECTED
    assert take(Stage.REVIEWED, Action.REJECT, Actor.SCHOOL) is Stage.REJECTED
    with pytest.raises(WrongActor, match="only the class teacher may reject"):
        take(Stage.SUBMITTED, Action.REJECT, Actor.SCHOOL)
    with pytest.raises(WrongActor, match="only the school may reject"):
        take(Stage.REVIEWED, Action.REJECT, Actor.CLASS_TEACHER)


def test_en_1_nobody_skips_a_step() -> None:
    with pytest.raises(IllegalStep, match="cannot approve an application that is submitted") as refused:
        take(Stage.SUBMITTED, Action.APPROVE, Actor.SCHOOL)
    assert refused.value.stage is Stage.SUBMITTED
    with pytest.raises(IllegalStep):
        take(Stage.REVIEWED, Action.SIGN, Actor.GUARDIAN)
    with pytest.raises(IllegalStep):
        take(Stage.ACTIVE, Action.REVIEW, Actor.CLASS_TEACHER)


def test_en_1_only_the_guardian_signs_and_declines_and_not_after_signing() -> None:
    for stage in (Stage.SUBMITTED, Stage.REVIEWED, Stage.APPROVED):
        assert take(stage, Action.DECLINE, Actor.GUARDIAN) is Stage.DECLINED
    with pytest.raises(WrongActor):
        take(Stage.APPROVED, Action.SIGN, Actor.SCHOOL)
    with pytest.raises(IllegalStep):
        take(Stage.ACTIVE, Action.DECLINE, Actor.GUARDIAN)  # an active enrollment is withdrawn instead (EN-2)


def test_en_2_a_withdrawal_is_requested_by_the_guardian_and_decided_by_the_school() -> None:
    requested = take(Stage.ACTIVE, Action.REQUEST_WITHDRAWAL, Actor.GUARDIAN)
    assert requested is Stage.WITHDRAWAL_REQUESTED
    assert take(requested, Action.REFUSE_WITHDRAWAL, Actor.SCHOOL) is Stage.ACTIVE
    assert take(requested, Action.APPROVE_WITHDRAWAL, Actor.SCHOOL) is Stage.WITHDRAWN
    with pytest.raises(WrongActor):
        take(requested, Action.APPROVE_WITHDRAWAL, Actor.GUARDIAN)


def test_final_stages_lead_nowhere_and_only_approved_or_active_children_take_places() -> None:
    for stage in FINAL:
        for action in Action:
            with pytest.raises(IllegalStep):
                move(stage, action)
    assert {Stage.APPROVED, Stage.ACTIVE} == MAY_TAKE_PLACES
    assert Stage.WITHDRAWAL_REQUESTED in HOLDS_PLACES  # places are kept until the school approves


def test_en_2_the_notice_is_counted_in_days_from_the_request() -> None:
    today = date(2026, 9, 11)
    assert earliest_withdrawal(today, 7) == date(2026, 9, 18)
    assert check_withdrawal_date(date(2026, 9, 18), today=today, notice_days=7) == date(2026, 9, 18)
    with pytest.raises(NoticeTooShort, match=r"7 days' written notice.*2026-09-18 at the earliest, not 2026-09-17"):
        check_withdrawal_date(date(2026, 9, 17), today=today, notice_days=7)
    assert check_withdrawal_date(today, today=today, notice_days=0) == today  # a school may ask for no notice
