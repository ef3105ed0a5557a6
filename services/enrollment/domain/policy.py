"""Policy profile rules (PL-1, PL-2): resolving a school's settings from the district default and its overrides.

Pure functions: no I/O. Field ranges come from `contracts.policy.PolicySettings`; cross-field rules are here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from contracts.policy import PolicySettings

T = TypeVar("T")

Overrides = Mapping[str, Any]
"""A partial set of `PolicySettings` fields (JSON values), as a school sets them."""


def in_force(records: Sequence[tuple[date, T]], on: date) -> T | None:
    """PL-1: the record with the latest effective date not after `on` (None before the first)."""
    best: tuple[date, T] | None = None
    for effective_from, record in records:
        if effective_from <= on and (best is None or effective_from > best[0]):
            best = (effective_from, record)
    return best[1] if best is not None else None


def apply_overrides(base: PolicySettings, overrides: Overrides) -> PolicySettings:
    """The base settings with the school's overridden fields replaced (a whole field at a time)."""
    if not overrides:
        return base
    return PolicySettings.model_validate({**base.model_dump(mode="json"), **overrides})
