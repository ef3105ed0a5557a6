"""The term settlement (ST-4): the term's money splits 9 : 1 between the process part (the published monthly
statements, ST-5) and the end-of-term bonus, shared by the QA-2 evaluation (survey included) of the programs each
teacher served; a teacher who lost the bonus (ST-3) gets none of it.

The bonus pool is the process total ÷ 9 (so process : bonus = 9 : 1), rounded half up once; it is divided by
weight with the largest-remainder method, so the shares are whole fen and add up to the pool exactly (ST-7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from services.stipend.domain.money import round_fen

PROCESS_PARTS, BONUS_PARTS = 9, 1


@dataclass(frozen=True)
class Share:
    """A teacher's term: the process money paid monthly, the bonus weight and the bonus share."""

    staff_id: str
    process_fen: int
    weight: int
    bonus_fen: int
    forfeited: bool


def bonus_pool(process_fen: int) -> int:
    """ST-4: the bonus that goes with a process total at 9 : 1."""
    return round_fen(Fraction(process_fen * BONUS_PARTS, PROCESS_PARTS))


def split(pool: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Whole-fen shares proportional to the weights, summing to the pool (largest remainder, ties by id)."""
    total = sum(weights.values())
    if pool <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    exact = {staff: Fraction(pool * w, total) for staff, w in weights.items()}
    shares = {staff: int(x) for staff, x in exact.items()}
    left = pool - sum(shares.values())
    for staff in sorted(exact, key=lambda s: (-(exact[s] - shares[s]), s))[:left]:
        shares[staff] += 1
    return shares


def settle(process: Mapping[str, int], weights: Mapping[str, int], forfeited: set[str]) -> list[Share]:
    """ST-4: each teacher's process money, and their share of the bonus pool (none when forfeited, ST-3)."""
    pool = bonus_pool(sum(process.values()))
    eligible = {s: weights.get(s, 0) for s in process if s not in forfeited}
    shares = split(pool, eligible)
    return [Share(s, process[s], weights.get(s, 0), shares.get(s, 0), s in forfeited) for s in sorted(process)]
