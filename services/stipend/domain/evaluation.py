"""The term evaluation of each program's service (QA-2, QA-3) and the guardians' survey behind part of it.

QA-2: out of 100 — patrol 50 (the QA-1 deductions of the term's patrols taken from 50, never below 0), plan
completion 20 and effectiveness 20 (scored by the school, effectiveness with a note), survey 10 (the guardians'
mean answer on the 1–5 scale, as a share of 10, rounded half up). The "class" evaluated is a program: patrols,
sign-ins and records are per program session, so that is what the facts can score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from services.stipend.domain.money import round_fen

PATROL_POINTS, PLAN_POINTS, EFFECT_POINTS, SURVEY_POINTS = 50, 20, 20, 10
SCALE = 5  # survey answers: 1 (very dissatisfied) to 5 (very satisfied)


class EvaluationRefused(ValueError):
    """A score or answer QA-2 does not allow."""

    rule = "QA-2"


def check_answer(score: int) -> int:
    """QA-2: a survey answer is a whole score from 1 to 5."""
    if not 1 <= score <= SCALE:
        raise EvaluationRefused(f"a survey answer is 1 to {SCALE}, not {score}")
    return score


def family_of(student_id: str, siblings: Iterable[str]) -> str:
    """QA-2 (SR-3): a family is a child and the children sharing a guardian with them; its answers are kept under
    the smallest of their ids, so siblings answering the same program's survey find the same key."""
    return min([student_id, *siblings])


def check_scores(plan_completion: int, effectiveness: int, note: str) -> None:
    """QA-2: plan completion 0–20, effectiveness 0–20 with the school's note."""
    if not 0 <= plan_completion <= PLAN_POINTS:
        raise EvaluationRefused(f"plan completion is 0 to {PLAN_POINTS}, not {plan_completion}")
    if not 0 <= effectiveness <= EFFECT_POINTS:
        raise EvaluationRefused(f"effectiveness is 0 to {EFFECT_POINTS}, not {effectiveness}")
    if not note.strip():
        raise EvaluationRefused("effectiveness is scored with a note")


def survey_points(answers: Iterable[int]) -> int:
    """QA-2: the survey's 10 points from the mean answer (no answers: 0)."""
    scores = list(answers)
    if not scores:
        return 0
    return round_fen(Fraction(sum(scores) * SURVEY_POINTS, len(scores) * SCALE))


@dataclass(frozen=True)
class Evaluation:
    """A program's term evaluation (QA-2), each part and the total out of 100."""

    program_id: str
    patrol: int
    plan_completion: int
    effectiveness: int
    survey: int

    @property
    def total(self) -> int:
        """Out of 100."""
        return self.patrol + self.plan_completion + self.effectiveness + self.survey


def evaluate(
    program_id: str, deductions: Iterable[int], plan_completion: int, effectiveness: int, answers: Iterable[int]
) -> Evaluation:
    """QA-2: patrol 50 less the term's deductions (never below 0), the school's scores, the survey."""
    patrol = max(0, PATROL_POINTS - sum(deductions))
    return Evaluation(program_id, patrol, plan_completion, effectiveness, survey_points(answers))
