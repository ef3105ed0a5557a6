"""The `afterschool` command: development tokens that the services accept."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chassis.auth import Principal, Role, TokenVerifier
from chassis.settings import ServiceSettings

pytestmark = pytest.mark.unit


def mint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "afterschool", "token", *args], capture_output=True, text=True)


async def test_afterschool_token_mints_what_a_service_accepts() -> None:
    minted = mint("--role", "kiosk", "--school", "s1", "--subject", "s1-kiosk-gate")
    assert minted.returncode == 0
    principal = await TokenVerifier(ServiceSettings(environment="development")).verify(minted.stdout.strip())
    assert principal == Principal("s1-kiosk-gate", Role.KIOSK, "s1", None)


def test_a_school_bound_role_needs_a_school() -> None:
    refused = mint("--role", "guardian", "--subject", "mum")
    assert refused.returncode == 2
    assert "--school is required" in refused.stderr
