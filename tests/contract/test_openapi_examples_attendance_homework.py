"""The OpenAPI of attendance and homework explains itself (issue 11, "OpenAPI that tells the truth"): every field
of every schema says what it means, every operation shows an example, and no example lies: each one validates
against its JSON schema and, in a request body or an answer, against the model the route parses or answers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from pydantic import TypeAdapter

from tests.contract.test_openapi_truth import document, operations

SERVICES = ("attendance", "homework")
FORMATS = FormatChecker()


def _instant(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (jsonschema checks none without an optional package)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


FORMATS.checks("date-time", raises=ValueError)(_instant)
FORMATS.checks("date", raises=ValueError)(_date)


def _media(op: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, media type, media object) of the request body and of each 2xx answer."""
    found = [("request", kind, media) for kind, media in op.get("requestBody", {}).get("content", {}).items()]
    for status, response in op["responses"].items():
        if status.startswith("2"):
            found += [(status, kind, media) for kind, media in response.get("content", {}).items()]
    return found


def _examples(node: dict[str, Any]) -> list[Any]:
    return ([node["example"]] if "example" in node else []) + list(node.get("examples") or [])


def _errors(schema: dict[str, Any], node: dict[str, Any], example: Any) -> list[str]:
    """Why `example` breaks `node` ($refs resolved in the whole document), formats included."""
    validator = Draft202012Validator({**node, "components": schema["components"]}, format_checker=FORMATS)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]


def _models(app: Any) -> dict[tuple[str, str, str], Any]:
    """(path, method, 'request' or status) -> the type the route parses or answers there."""
    models: dict[tuple[str, str, str], Any] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods or ():
            key = (str(context.path_format), method.lower())
            if route.body_field is not None:
                models[(*key, "request")] = route.body_field.field_info.annotation
            if route.response_model is not None:
                models[(*key, str(route.status_code or 200))] = route.response_model
            for status, extra in route.responses.items():
                if isinstance(extra, dict) and extra.get("model") is not None:
                    models[(*key, str(status))] = extra["model"]
    return models


@pytest.mark.parametrize("name", SERVICES)
def test_every_property_of_every_schema_has_a_description(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    bare = [
        f"{component}.{field}"
        for component, body in schema["components"]["schemas"].items()
        for field, prop in (body.get("properties") or {}).items()
        if not str(prop.get("description", "")).strip()
    ]
    assert bare == []


@pytest.mark.parametrize("name", SERVICES)
def test_every_operation_has_an_example_in_its_request_body_or_a_2xx_answer(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    without = [
        f"{method} {path}"
        for path, method, op in operations(schema)
        if not any(_examples(media) for _, _, media in _media(op))
    ]
    assert without == []


@pytest.mark.parametrize("name", SERVICES)
def test_every_example_validates_against_its_schema_and_its_model(name: str, tmp_path: Path) -> None:
    schema, app = document(name, tmp_path)
    models = _models(app)
    lies: list[str] = []
    checked = 0
    for component, body in schema["components"]["schemas"].items():
        for example in _examples(body):
            checked += 1
            lies += [
                f"{component}: {e}" for e in _errors(schema, {"$ref": f"#/components/schemas/{component}"}, example)
            ]
    for path, method, op in operations(schema):
        for where, kind, media in _media(op):
            for example in _examples(media):
                checked += 1
                at = f"{method} {path} {where} {kind}"
                if kind == "text/event-stream":  # frames whose data is the answer, as JSON
                    frames = [line[6:] for line in example.splitlines() if line.startswith("data: ")]
                    assert frames, at
                    assert example.endswith("\n\n"), at
                    assert all(isinstance(json.loads(frame), dict) for frame in frames), at
                    continue
                if "schema" in media:
                    lies += [f"{at}: {e}" for e in _errors(schema, media["schema"], example)]
                model = models.get((path, method, where))
                if kind == "application/json" and model is not None:
                    try:
                        TypeAdapter(model).validate_json(json.dumps(example))
                    except ValueError as error:
                        lies.append(f"{at}: {error}")
    assert checked, "no example at all"
    assert lies == []


def test_a_route_shows_its_models_own_example(tmp_path: Path) -> None:
    """The check-in's request body shows CheckInCreate's own example (chassis/openapi.py), not a copy that drifts."""
    from services.attendance.checkins.schemas import CheckInCreate

    schema, _ = document("attendance", tmp_path)
    shown = schema["paths"]["/attendance/v1/check-ins"]["post"]["requestBody"]["content"]["application/json"]
    assert shown["example"] == CheckInCreate.model_json_schema()["examples"][0]
