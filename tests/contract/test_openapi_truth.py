"""Each service's OpenAPI declares what the service really answers (issue 11, chassis/openapi.py): every error as
problem+json, who may call, and the Idempotency-Key header where it is honoured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs; schemathesis brings it

from afterschool.catalog import NAMES
from afterschool.catalog import definition as service_definition
from chassis.app import create_app
from chassis.idempotency import idempotency_key
from chassis.openapi import depends_on, model_examples, route_models
from chassis.problems import PROBLEM_JSON

METHODS = ("get", "post", "put", "patch", "delete")


def document(name: str, tmp_path: Path) -> tuple[dict[str, Any], Any]:
    definition = service_definition(name)
    settings = definition.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db", bus="memory"
    )
    app = create_app(definition, settings)
    return app.openapi(), app


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in schema["paths"].items() for m, op in item.items() if m in METHODS]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_error_is_declared_as_problem_json_and_fastapis_own_shape_is_gone(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, method, op in operations(schema):
        errors = {code: r for code, r in op["responses"].items() if code.isdigit() and int(code) >= 400}
        assert errors, f"{method} {path} declares no error"
        for code, response in errors.items():
            assert list(response["content"]) == [PROBLEM_JSON], f"{method} {path} {code}"


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_secured_operation_says_who_may_call_and_declares_401_and_403(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    for path, method, op in operations(schema):
        if op.get("security"):
            assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
            assert "Who may call: " in op["description"], f"{method} {path}"
            who = op["description"].rsplit("Who may call: ", 1)[1]
            assert who == f"{', '.join(op['x-roles'])}." if "x-roles" in op else who.startswith("any signed-in caller")


@pytest.mark.parametrize("name", sorted(NAMES))
def test_idempotency_key_is_declared_exactly_where_respond_once_requires_it(name: str, tmp_path: Path) -> None:
    schema, app = document(name, tmp_path)
    declared = {
        (path, method)
        for path, method, op in operations(schema)
        if any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op.get("parameters", []))
    }
    wanted = {
        (context.path_format, method.lower())
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and depends_on(context.original_route, idempotency_key)
        for method in context.methods or ()
    }
    assert declared == wanted
    assert all(method != "get" for _, method in declared)


def test_the_check_in_names_its_roles_and_idempotency_and_times_are_school_local(tmp_path: Path) -> None:
    attendance, _ = document("attendance", tmp_path)
    check_in = attendance["paths"]["/attendance/v1/check-ins"]["post"]
    assert check_in["x-roles"] == ["kiosk", "service_teacher"]
    assert "Idempotency-Key" in {p["name"] for p in check_in["parameters"]}
    assert {"400", "401", "403", "404", "409", "413", "422"} <= set(check_in["responses"])
    broadcast = attendance["paths"]["/attendance/v1/emergency/broadcasts"]["post"]
    assert "Retry-After" in broadcast["responses"]["429"]["headers"]
    enrollment, _ = document("enrollment", tmp_path)
    cutoff = enrollment["components"]["schemas"]["PolicySettings"]["properties"]["dismissal_plan_cutoff"]
    assert cutoff["format"] == "partial-time"  # JSON Schema's `time` demands an offset a school's clock has not


# Services whose every field says what it means and every operation shows an example (issue 11); a service joins
# this list once its models are described.
DESCRIBED = ["attendance", "enrollment", "homework", "notify", "stipend"]


def _validator(schema: dict[str, Any], node: dict[str, Any]) -> Draft202012Validator:
    """A validator of `node`, a schema of the OpenAPI document `schema` whose `$ref`s point into its components."""
    return Draft202012Validator(
        {**node, "components": schema["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _media(op: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON request body and 2xx answers of an operation."""
    answers = [r for code, r in op["responses"].items() if code.startswith("2")]
    parts = [op.get("requestBody", {}), *answers]
    return [p["content"]["application/json"] for p in parts if "application/json" in p.get("content", {})]


@pytest.mark.parametrize("name", DESCRIBED)
def test_every_property_of_every_schema_says_what_it_means(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    bare = [
        f"{component}.{field}"
        for component, body in schema["components"]["schemas"].items()
        for field, prop in body.get("properties", {}).items()
        if not str(prop.get("description", "")).strip()
    ]
    assert bare == []


@pytest.mark.parametrize("name", DESCRIBED)
def test_every_operation_shows_an_example_of_its_body_or_its_answer(name: str, tmp_path: Path) -> None:
    schema, _ = document(name, tmp_path)
    without = [
        f"{method} {path}"
        for path, method, op in operations(schema)
        if _media(op) and not any(media.get("example") for media in _media(op))
    ]
    assert without == []
    # An operation with no JSON body and no JSON answer shows its other media's example (a board's event stream, a
    # register's CSV), or is a 204 with nothing to show.
    silent = [
        f"{method} {path}"
        for path, method, op in operations(schema)
        if not _media(op) and not op["responses"].keys() & {"204"} and not any(_other_examples(op))
    ]
    assert silent == []


def _other_examples(op: dict[str, Any]) -> list[Any]:
    answers = [r for code, r in op["responses"].items() if code.startswith("2")]
    return [
        media.get("example") or media.get("examples")
        for part in [op.get("requestBody", {}), *answers]
        for media in part.get("content", {}).values()
    ]


def test_a_route_shows_its_models_own_example(tmp_path: Path) -> None:
    """The check-in's request body shows CheckInCreate's own example (chassis/openapi.py), not a copy that drifts."""
    from services.attendance.checkins.schemas import CheckInCreate

    schema, _ = document("attendance", tmp_path)
    shown = schema["paths"]["/attendance/v1/check-ins"]["post"]["requestBody"]["content"]["application/json"]
    assert shown["example"] == CheckInCreate.model_json_schema()["examples"][0]


@pytest.mark.parametrize("name", DESCRIBED)
def test_every_example_is_true_of_its_own_schema_and_model(name: str, tmp_path: Path) -> None:
    schema, app = document(name, tmp_path)
    components = schema["components"]["schemas"]
    shown = 0
    for component, body in components.items():
        for example in body.get("examples", []):
            _validator(schema, {"$ref": f"#/components/schemas/{component}"}).validate(example)
            shown += 1
    for _, _, op in operations(schema):
        for media in _media(op):
            if "example" in media:
                _validator(schema, media["schema"]).validate(media["example"])
    models = route_models(app.routes)
    assert models
    for model in models:
        for example in model_examples(model):
            model.model_validate(example)
    assert shown
