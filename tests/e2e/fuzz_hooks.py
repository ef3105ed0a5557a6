"""Schemathesis hooks for tests/e2e/test_openapi_fuzz.py: each operation is called with a token of the first role
its OpenAPI says may call it (`x-roles`, chassis/openapi.py), so the fuzzing reaches past the role check."""

from __future__ import annotations

import functools
from typing import Any

import schemathesis

from chassis.auth import Role
from tests.conftest import token

SCHOOL, DISTRICT = "s1", "d1"


@functools.cache
def bearer(role: str) -> str:
    """A token of `role` in the fuzzed school (or district)."""
    if role == Role.DISTRICT_OPERATOR:
        return token(Role(role), f"fuzz-{role}", district=DISTRICT)
    return token(Role(role), f"fuzz-{role}", school=SCHOOL)


@schemathesis.hook
def map_headers(ctx: Any, headers: dict[str, str] | None) -> dict[str, str]:
    """Authorise as the operation's first role (the school admin where it names none)."""
    roles = ctx.operation.definition.raw.get("x-roles") or [Role.SCHOOL_ADMIN.value]
    return {**(headers or {}), "Authorization": f"Bearer {bearer(roles[0])}"}
