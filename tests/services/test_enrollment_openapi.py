"""Enrollment's OpenAPI: every route under `/enrollment/v1` explains itself, and every list is paginated.

Issue 3 ("OpenAPI complete, pagination on lists"): a route's docstring is its OpenAPI description, and a GET that
returns a list returns a page (`items`, `next`) and takes `limit` and `after`, never a bare JSON array.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from services.enrollment.app import DEFINITION
from tests.conftest import SECRET

pytestmark = pytest.mark.service

PREFIX = "/enrollment/v1"
APP = DEFINITION.create_app(DEFINITION.settings_class(environment="test", jwt_secret=SECRET))
SPEC: dict[str, Any] = APP.openapi()
ROUTES = [r for router in DEFINITION.routers for r in router.routes if isinstance(r, APIRoute)]
GETS = [path for path, ops in SPEC["paths"].items() if path.startswith(PREFIX) and "get" in ops]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def _success_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "201"):
        content = operation["responses"].get(status, {}).get("content", {})
        if "application/json" in content:
            return _resolve(content["application/json"].get("schema", {}))
    return None


def test_every_route_is_under_the_prefix_and_in_the_openapi() -> None:
    assert len(ROUTES) >= 5
    for route in ROUTES:
        assert route.path.startswith(PREFIX), route.path
        assert route.path in SPEC["paths"], route.path


def _method(route: APIRoute) -> str:
    return sorted(route.methods or {"GET"})[0]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{_method(r)} {r.path}")
def test_every_route_has_a_docstring_summary(route: APIRoute) -> None:
    doc = (route.endpoint.__doc__ or "").strip()
    assert doc, f"{route.path}: the endpoint needs a one-line docstring (the OpenAPI description by default)"
    operation = SPEC["paths"][route.path][_method(route).lower()]
    assert operation.get("summary")
    assert operation.get("description"), f"{route.path}: no description in the OpenAPI"


@pytest.mark.parametrize("path", GETS)
def test_every_list_is_a_page_with_limit_and_after(path: str) -> None:
    method = "GET"
    operation = SPEC["paths"][path]["get"]
    schema = _success_schema(operation) or {}
    assert schema.get("type") != "array", f"{method} {path} returns a bare list: return a Page with limit/after"
    properties = schema.get("properties", {})
    is_page = set(properties) == {"items", "next"} and _resolve(properties["items"]).get("type") == "array"
    if is_page:
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {"limit", "after"} <= query, f"{method} {path} returns a page but takes {sorted(query)}"
