"""Integer fen (ST-7): every amount is a whole number of fen, rounded once, half away from zero."""

from __future__ import annotations

from fractions import Fraction


def round_fen(amount: Fraction) -> int:
    """The whole fen nearest to `amount`; halves go away from zero, so a reversal is the exact negative."""
    return round_fen_of(amount.numerator, amount.denominator)


def round_fen_of(numerator: int, denominator: int) -> int:
    """The whole fen nearest to `numerator / denominator` (denominator > 0), halves away from zero, in integers
    without a Fraction (issue 9: a month's entries are rounded one by one)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude
