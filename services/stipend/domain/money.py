"""Integer fen (ST-7): every amount is a whole number of fen, rounded once, half away from zero."""

from __future__ import annotations

import math
from fractions import Fraction


def round_fen(amount: Fraction) -> int:
    """The whole fen nearest to `amount`; halves go away from zero, so a reversal is the exact negative."""
    magnitude = math.floor(abs(amount) + Fraction(1, 2))
    return magnitude if amount >= 0 else -magnitude
