"""Consumer groups carry the topic prefix, so runs sharing a broker never share (and never stall) a group."""

from __future__ import annotations

import pytest

from chassis.bus.kafka import KafkaBus
from tests.conftest import KAFKA

pytestmark = [pytest.mark.unit]


async def test_a_prefixed_bus_names_its_consumer_groups_with_the_prefix() -> None:
    prefixed = KafkaBus(KAFKA, prefix="t123.").consumer("attendance", ["enrollment.events"])
    plain = KafkaBus(KAFKA, prefix="").consumer("attendance", ["enrollment.events"])
    assert prefixed._consumer._group_id == "t123.attendance"  # type: ignore[attr-defined]
    assert plain._consumer._group_id == "attendance"  # type: ignore[attr-defined]
