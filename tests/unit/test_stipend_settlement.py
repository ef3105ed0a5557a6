"""The term evaluation (QA-2) and the 9 : 1 term settlement (ST-4), in whole fen (ST-7)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stipend.domain.evaluation import (
    EvaluationRefused,
    check_answer,
    check_scores,
    evaluate,
    survey_points,
)
from services.stipend.domain.settlement import bonus_pool, settle, split


def test_the_evaluation_is_out_of_100_with_patrol_deductions_taken_from_50() -> None:
    """QA-2: 50 − (1 + 3) = 46, plan 18, effectiveness 17, survey mean 4.5 of 5 = 9."""
    evaluation = evaluate("p-chess", [1, 3], 18, 17, [5, 4, 5, 4])
    assert (evaluation.patrol, evaluation.survey, evaluation.total) == (46, 9, 46 + 18 + 17 + 9)


def test_patrol_points_never_go_below_zero() -> None:
    assert evaluate("p", [10, 10, 10, 10, 10, 10], 0, 0, []).patrol == 0


def test_no_survey_answers_score_no_survey_points() -> None:
    assert survey_points([]) == 0


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_survey_answer_is_1_to_5(score: int) -> None:
    with pytest.raises(EvaluationRefused) as refused:
        check_answer(score)
    assert refused.value.rule == "QA-2"


@pytest.mark.parametrize(("plan", "effect", "note"), [(21, 10, "ok"), (10, -1, "ok"), (10, 10, " ")])
def test_the_schools_scores_are_in_range_and_effectiveness_has_a_note(plan: int, effect: int, note: str) -> None:
    with pytest.raises(EvaluationRefused):
        check_scores(plan, effect, note)


def test_the_bonus_pool_is_a_ninth_of_the_process_money() -> None:
    """ST-4: 9 : 1, so 90,000 fen of monthly pay goes with a 10,000 fen bonus."""
    assert bonus_pool(90_000) == 10_000


def test_the_bonus_is_shared_by_evaluation_and_a_teacher_who_lost_it_gets_none() -> None:
    shares = settle({"wang": 60_000, "li": 30_000, "zhao": 0}, {"wang": 90, "li": 80, "zhao": 70}, {"li"})
    assert [(s.staff_id, s.bonus_fen, s.forfeited) for s in shares] == [
        ("li", 0, True),
        ("wang", 5_625, False),  # 10,000 × 90 / 160
        ("zhao", 4_375, False),
    ]


@settings(max_examples=300, deadline=None)
@given(
    pool=st.integers(0, 10**7),
    weights=st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 100), max_size=5),
)
def test_shares_are_whole_fen_adding_up_to_the_pool(pool: int, weights: dict[str, int]) -> None:
    shares = split(pool, weights)
    assert set(shares) == set(weights)
    if sum(weights.values()) > 0:
        assert sum(shares.values()) == pool
        for staff, weight in weights.items():
            assert abs(shares[staff] * sum(weights.values()) - pool * weight) < sum(weights.values())
