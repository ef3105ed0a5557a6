"""Family accounts on the real stack (EN-7): payments through the API and a payment platform's CSV, all or
nothing, and the running balance against the issued month; bad input is a problem naming the rule and changes
nothing; another school's child is a 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from services.stipend.app import DEFINITION
from tests.conftest import auth, eventually, running, stack_settings
from tests.services.conftest import publish_envelopes
from tests.services.test_stipend_class_hours import ADMIN, MUM, ROSTER
from tests.services.test_stipend_family import ATTENDANCE, DAILY_CAP, FEES, FEN_PER_CLASS_HOUR, LATE_FEE
from tests.services.test_stipend_statements import CLOSED, envelope

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DUE = 2 * FEN_PER_CLASS_HOUR * DAILY_CAP - FEN_PER_CLASS_HOUR + LATE_FEE  # November, as the family test computes it
ACCOUNT = "/stipend/v1/family-accounts/students/xiaoming"


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(CLOSED)) as client:
        await publish_envelopes(topic_prefix, [envelope(e) for e in [*ROSTER, *FEES, *ATTENDANCE[:4]]])

        async def complete() -> bool:
            response = await client.get("/stipend/v1/family-statements/2026-11/students/xiaoming", headers=MUM)
            return response.status_code == 200 and response.json()["due_fen"] == DUE

        await eventually(complete)
        issued = await client.post("/stipend/v1/family-statements/2026-11/issue", headers=ADMIN)
        assert issued.status_code == 200
        yield client


async def account(client: httpx.AsyncClient, headers: dict[str, str] = MUM) -> dict[str, Any]:
    response = await client.get(ACCOUNT, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_payment_lowers_the_balance_once_however_often_it_is_retried(stipend: httpx.AsyncClient) -> None:
    assert (await account(stipend))["balance_fen"] == DUE
    body = {"amount_fen": 1000, "paid_on": "2026-12-01", "reference": "wx-001"}
    retry = {**ADMIN, "Idempotency-Key": "pay-1"}
    first = await stipend.post(f"{ACCOUNT}/payments", json=body, headers=retry)
    second = await stipend.post(f"{ACCOUNT}/payments", json=body, headers=retry)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    again_without_key = await stipend.post(f"{ACCOUNT}/payments", json=body, headers=ADMIN)
    assert (again_without_key.status_code, again_without_key.json()["rule"]) == (409, "EN-7")
    mine = await account(stipend)
    assert mine["balance_fen"] == DUE - 1000
    assert [(line["kind"], line["amount_fen"]) for line in mine["lines"]] == [("charge", DUE), ("payment", -1000)]


@pytest.mark.parametrize("amount", [-500, 0])
async def test_a_payment_that_is_not_a_positive_amount_is_refused_and_changes_nothing(
    stipend: httpx.AsyncClient, amount: int
) -> None:
    body = {"amount_fen": amount, "paid_on": "2026-12-01", "reference": "wx-bad"}
    response = await stipend.post(f"{ACCOUNT}/payments", json=body, headers=ADMIN)
    assert (response.status_code, response.json()["rule"]) == (422, "EN-7")
    assert response.headers["content-type"] == "application/problem+json"
    assert (await account(stipend))["balance_fen"] == DUE


async def test_a_payment_for_another_schools_child_is_a_404_and_changes_nothing(stipend: httpx.AsyncClient) -> None:
    other = auth(Role.SCHOOL_ADMIN, "admin", school="s2")
    body = {"amount_fen": 1000, "paid_on": "2026-12-01", "reference": "wx-002"}
    response = await stipend.post(f"{ACCOUNT}/payments", json=body, headers=other)
    assert response.status_code == 404
    assert (await account(stipend))["balance_fen"] == DUE
    assert (await stipend.get(ACCOUNT, headers=auth(Role.GUARDIAN, "another-mum", school="s1"))).status_code == 404


async def test_a_statement_with_a_broken_row_records_nothing_and_a_good_one_records_once(
    stipend: httpx.AsyncClient,
) -> None:
    header = "student_id,amount_yuan,paid_on,reference\n"
    broken = header + "xiaoming,5.00,2026-12-02,wx-010\nxiaoming,5.005,2026-12-02,wx-011\nnobody,1,2026-12-02,wx-012\n"
    csv_headers = {**ADMIN, "Content-Type": "text/csv"}
    refused = await stipend.post("/stipend/v1/family-accounts/payments/import", content=broken, headers=csv_headers)
    assert (refused.status_code, refused.json()["rule"]) == (422, "EN-7")
    assert [e["line"] for e in refused.json()["errors"]] == [3]
    unknown = header + "xiaoming,5.00,2026-12-02,wx-010\nnobody,1,2026-12-02,wx-012\n"
    refused = await stipend.post("/stipend/v1/family-accounts/payments/import", content=unknown, headers=csv_headers)
    assert [e["line"] for e in refused.json()["errors"]] == [3]
    assert (await account(stipend))["balance_fen"] == DUE

    good = header + "xiaoming,5.00,2026-12-02,wx-010\nxiaohong,1.50,2026-12-02,wx-013\n"
    for expected in ({"recorded": 2, "already_recorded": 0}, {"recorded": 0, "already_recorded": 2}):
        imported = await stipend.post("/stipend/v1/family-accounts/payments/import", content=good, headers=csv_headers)
        assert imported.json() == expected
    assert (await account(stipend))["balance_fen"] == DUE - 500
