"""ST-7 on the real stack: the same events in another order, some delivered twice, into a fresh stipend (a replay
from offset 0 on a new database) give identical statements and an identical published ledger."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.clock import FakeClock
from services.stipend.app import DEFINITION
from tests.conftest import delete_topics, fresh_database, running, stack_settings
from tests.services.conftest import publish_envelopes
from tests.services.test_stipend_statements import (
    ADMIN,
    CLOSED,
    LI_UNITS,
    NOVEMBER,
    SET_UP,
    WANG_FEN,
    WANG_UNITS,
    envelope,
    settled,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]


@pytest.fixture
async def second_prefix() -> AsyncIterator[str]:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    yield prefix
    await delete_topics(prefix)


async def published_ledger(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    for step in ("approve", "publish"):
        response = await client.post(f"/stipend/v1/teacher-statements/2026-11/{step}", headers=ADMIN)
        assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = []
    for staff in ("li", "wang"):
        response = await client.get(f"/stipend/v1/teacher-statements/2026-11/teachers/{staff}", headers=ADMIN)
        entries += response.json()["entries"]
    return entries


async def test_another_order_and_redeliveries_rebuild_an_identical_ledger(
    pg_url: str, topic_prefix: str, second_prefix: str
) -> None:
    envelopes = [envelope(e) for e in [*SET_UP, *NOVEMBER]]
    expected = {"li": (LI_UNITS, 0, 0), "wang": (WANG_UNITS, WANG_FEN, WANG_FEN)}
    first_settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with fresh_database() as other_url:
        second_settings = stack_settings(DEFINITION, other_url, second_prefix)
        async with (
            running(DEFINITION, first_settings, clock=FakeClock(CLOSED)) as first,
            running(DEFINITION, second_settings, clock=FakeClock(CLOSED)) as second,
        ):
            await publish_envelopes(topic_prefix, envelopes)
            await publish_envelopes(second_prefix, envelopes[::-1] + envelopes[4::3])
            await settled(first, expected)
            await settled(second, expected)
            first_ledger, second_ledger = await published_ledger(first), await published_ledger(second)
    assert first_ledger == second_ledger
    assert len(first_ledger) == 6 + 1  # one entry per teacher, session and line: 6 sessions, 1 late sign-in
    assert all(entry["entry_id"] for entry in first_ledger)
