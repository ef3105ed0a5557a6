"""The OpenAPI a service publishes tells the truth (issue 11): every error it can answer is declared, as
`application/problem+json`; who may call each operation; and the `Idempotency-Key` header where it is honoured.

FastAPI documents the 2xx answers and a 422 in its own validation shape. Every error of ours leaves through
`chassis/problems.py`, so the error responses are derived here once, from what each route depends on, instead of
being written by hand on ~200 routes and drifting from the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python

from chassis.auth import current_principal
from chassis.problems import PROBLEM_JSON

WRITES = frozenset({"post", "put", "patch", "delete"})

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; a 422 from the request schema lists each refused field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "always `about:blank`: the status and title say what happened"},
        "title": {"type": "string", "description": "the status's short name"},
        "status": {"type": "integer", "description": "the HTTP status, repeated"},
        "detail": {"type": "string", "description": "what was wrong with this request, for a person to read"},
        "instance": {"type": "string", "description": "the request's path"},
        "errors": {
            "type": "array",
            "description": "the fields the request schema refused (422 only)",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
    "example": {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no student 'st-1' in this school",
        "instance": "/enrollment/v1/students/st-1",
    },
}

ERRORS = {
    400: "the body is not well-formed JSON (or not the declared media type)",
    401: "no valid bearer token",
    403: "the token's role may not do this",
    404: "nothing with that id for this caller (another school's data answers the same)",
    409: "the request clashes with the current state",
    413: "the body is larger than the service accepts",
    422: "the request is not acceptable: a field, a date or a rule it breaks",
    429: "too many of these for now: retry after `Retry-After` seconds",
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def depends_on(route: APIRoute, dependency: Any) -> bool:
    """Whether `dependency` is among the route's dependencies, however deep."""
    return any(call is dependency for call in _calls(route.dependant))


def roles_of(route: APIRoute) -> tuple[str, ...]:
    """The roles `chassis.auth.require` lets through this route (empty: any authenticated caller, or none)."""
    for call in _calls(route.dependant):
        roles = getattr(call, "roles", None)
        if roles:
            return tuple(str(role) for role in roles)
    return ()


def _statuses(route: APIRoute, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {int(code) for code in operation.get("responses", {}) if code.isdigit() and int(code) >= 400}
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    if depends_on(route, current_principal):
        statuses |= {401, 403}
        if method in WRITES:
            statuses.add(429)  # chassis/auth.py: writes per token and per school
    if has_input or method in WRITES:
        statuses |= {404, 422}
    if method in WRITES:
        statuses.add(409)
    if operation.get("requestBody"):
        statuses.add(400)
    if operation.get("requestBody") or method in WRITES:
        statuses.add(413)
    return statuses


LOCAL_TIME = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def _local_times(node: Any) -> None:
    """A `time` is a school's wall-clock time (Asia/Shanghai) with no offset, which JSON Schema's `time` format
    (RFC 3339, offset required) does not describe: declare it as RFC 3339's `partial-time`, with its pattern."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            node["format"] = "partial-time"
            node["pattern"] = LOCAL_TIME
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def example_of(node: dict[str, Any], components: dict[str, Any]) -> Any:
    """The example a schema gives (its first `examples`), or one built from its parts' (a page of items, a list),
    or None when it has none."""
    if "$ref" in node:
        return example_of(components[node["$ref"].rsplit("/", 1)[-1]], components)
    if node.get("examples"):
        return node["examples"][0]
    if node.get("type") == "array" and "items" in node:
        item = example_of(node["items"], components)
        return None if item is None else [item]
    if node.get("type") == "object" and node.get("properties"):
        parts = {name: example_of(part, components) for name, part in node["properties"].items()}
        if any(parts[name] is None for name in node.get("required", [])):
            return None
        return {name: value for name, value in parts.items() if value is not None}
    return None


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Collect into `seen` the models an annotation names, and those their fields name, however deep."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
    for argument in get_args(annotation):
        _models_in(argument, seen)


def route_models(routes: list[Any]) -> set[type[BaseModel]]:
    """The models routes read and answer, and the models inside them."""
    models: set[type[BaseModel]] = set()
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for field in (route.body_field, route.response_field):
                if field is not None:
                    _models_in(field.field_info.annotation, models)
    return models


def examples(*written: Any) -> ConfigDict:
    """A model's config giving its OpenAPI examples (`model_config = examples({...})`); read back by
    `model_examples`."""
    return ConfigDict(json_schema_extra={"examples": list(written)})


def model_examples(model: type[BaseModel]) -> list[Any]:
    """The examples a model's config gives (`json_schema_extra={"examples": [...]}`), as written."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return list(examples) if isinstance(examples, list) else []


def _show_examples(schema: dict[str, Any], routes: list[Any]) -> None:
    """Swagger UI shows a media type's `example` best: give each JSON body and answer the example its schema has.

    FastAPI drops every null from the document it builds, examples' nulls included, which makes an example of a
    required nullable field false: the models' examples are put back as they are written first."""
    components = schema.get("components", {}).get("schemas", {})
    for model in route_models(routes):
        if model_examples(model) and "examples" in components.get(model.__name__, {}):
            components[model.__name__]["examples"] = to_jsonable_python(model_examples(model))
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            answers = [r for code, r in operation.get("responses", {}).items() if code.startswith("2")]
            for part in [operation.get("requestBody", {}), *answers]:
                media = part.get("content", {}).get("application/json")
                if media is None or "example" in media or "examples" in media or "schema" not in media:
                    continue
                example = example_of(media["schema"], components)
                if example is not None:
                    media["example"] = example


def _annotate(schema: dict[str, Any], routes: list[Any]) -> None:
    _local_times(schema)
    _show_examples(schema, routes)
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    # FastAPI 0.165 keeps included routers as such: their routes, with the prefix applied, come from here.
    for context in iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema:
            continue
        for method in context.methods or ():
            operation = schema["paths"].get(context.path_format, {}).get(method.lower())
            if operation is None:
                continue
            roles = roles_of(route)
            if roles:
                who = ", ".join(roles)
                operation["x-roles"] = list(roles)
            elif depends_on(route, current_principal):
                who = "any signed-in caller the data concerns (the route checks the relation)"
            else:
                who = ""
            if who:
                operation["description"] = (operation.get("description", "") + f"\n\nWho may call: {who}.").strip()
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(route, method.lower(), operation)):
                declared = responses.setdefault(str(status), {})
                declared["content"] = problem
                if declared.get("description") in (None, "", "Validation Error"):
                    declared["description"] = ERRORS.get(status, "an error")
                if status == 429:
                    declared["headers"] = {
                        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
                    }


def install_truthful_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` declare problem+json errors, roles and idempotency headers on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            _annotate(schema, app.routes)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
