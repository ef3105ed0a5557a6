"""Request bodies of the policy profile routes (`services.enrollment.policy.api`, PL-1, PL-2)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chassis.http import Body
from chassis.openapi import examples
from services.enrollment.fields import WhenFrom

SETTINGS_DOC = "fields of PolicySettings (contracts/policy.py); PL-2 checks ranges and cross-field rules"


class DistrictDefaultBody(Body):
    """The district default from `effective_from`; fields left out take the national default."""

    model_config = examples({"effective_from": "2027-02-20", "settings": {"class_hour_minutes": 45}})

    effective_from: WhenFrom
    settings: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_DOC)


class SchoolOverridesBody(Body):
    """The school's own overrides from `effective_from`, replacing its earlier overrides from that day."""

    model_config = examples(
        {"effective_from": "2026-12-01", "overrides": {"extended_care_end_winter": "17:20", "offers_bus": True}}
    )

    effective_from: WhenFrom
    overrides: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_DOC)
