"""Lean routes: a GET route answered by a raw ASGI handler ahead of FastAPI's per-request machinery (issue 10).

A live stream stays open for hours, and one notify process holds 10,000 of them. Served as a FastAPI route, each
kept ~30 KB of the framework's per-request objects alive while it streamed (the exception and body-limit middleware
frames, dependency solving's exit stacks, the routing's scopes; docs/measurements.md), seven times notify's own.

A lean route is still declared as a FastAPI route: that declaration documents it in the OpenAPI (who may call, the
headers it reads, its answers) and names it in the metrics; `served_lean` makes its endpoint answer with the lean
handler too. `LeanRoutes` answers the route before the body limit, the exception handlers and the router, with the
same bearer verification, the role check of the declared route's `require(...)`, and the same problem+json errors;
it sits inside `RequestMetrics`, so the access log, the request metrics and the trace are those of every route.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import State
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.auth import Principal, RoleCheck, current_principal, verified
from chassis.openapi import depends_on
from chassis.problems import Problem, problem_response

if TYPE_CHECKING:  # chassis.app installs these routes
    from chassis.app import Runtime


class InvalidHeader(Problem):
    """A header the declared route limits, over its limit (the same answer FastAPI's validation gives)."""

    status, title = 422, "Invalid request"


@dataclass(frozen=True, slots=True)
class LeanRequest:
    """What a lean handler is given: the running service, the verified caller and the request's ASGI scope."""

    runtime: Runtime
    principal: Principal
    scope: Scope

    @property
    def state(self) -> State:
        """The app's state (what the app keeps across requests)."""
        state: State = self.scope["app"].state
        return state

    def header(self, name: str, *, max_length: int) -> str | None:
        """The request's header `name` (its first), or None; one longer than `max_length` is a 422 problem."""
        wanted = name.lower().encode()
        for key, value in self.scope["headers"]:
            if key == wanted:
                if len(value) > max_length:
                    raise InvalidHeader(
                        "the request does not match the schema",
                        errors=[
                            {
                                "loc": ["header", name],
                                "msg": f"String should have at most {max_length} characters",
                                "type": "string_too_long",
                            }
                        ],
                    )
                text: str = value.decode("latin-1")
                return text
        return None


LeanHandler = Callable[[LeanRequest, Receive, Send], Awaitable[None]]
"""Answers a lean route; a `Problem` it raises before it starts its answer is sent as problem+json."""


def served_lean(handler: LeanHandler) -> Callable[[Callable[..., Awaitable[None]]], Callable[..., Awaitable[Any]]]:
    """Decorator of a FastAPI GET endpoint that declares a route (its OpenAPI, its roles, its metrics name) with a
    docstring for a body: `handler` answers it, ahead of the FastAPI stack wherever `create_app` built the app, and
    through FastAPI (a `LeanAnswer`) wherever a request reaches the declared route itself."""

    def declare(endpoint: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(endpoint)  # FastAPI reads the declared signature through `__wrapped__`
        async def answer(**arguments: Any) -> LeanAnswer:
            (principal,) = [value for value in arguments.values() if isinstance(value, Principal)]
            return LeanAnswer(handler, principal)

        answer.lean_handler = handler  # type: ignore[attr-defined]
        return answer

    return declare


class LeanAnswer(Response):
    """A lean handler's answer as a response FastAPI returns: the handler given the request's scope to answer."""

    def __init__(self, handler: LeanHandler, principal: Principal) -> None:
        self.handler, self.principal = handler, principal
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(LeanRequest(scope["app"].state.runtime, self.principal, scope), receive, send)


@dataclass(frozen=True, slots=True)
class _Lean:
    declared: APIRoute
    roles: RoleCheck | None
    handler: LeanHandler


def lean_routes(routes: Sequence[BaseRoute]) -> dict[str, _Lean]:
    """The declared lean routes among an app's routes, by path."""
    found: dict[str, _Lean] = {}
    for context in iter_route_contexts(routes):
        route = context.original_route
        handler = getattr(getattr(route, "endpoint", None), "lean_handler", None)
        if not isinstance(route, APIRoute) or handler is None:
            continue
        if set(context.methods or ()) != {"GET"} or not depends_on(route, current_principal):
            raise TypeError(f"{context.path_format}: a lean route is a GET that names who may call it")
        if "{" in (context.path_format or "{"):
            raise TypeError(f"{context.path_format}: a lean route has a fixed path")
        checks = [sub.call for sub in route.dependant.dependencies if isinstance(sub.call, RoleCheck)]
        found[str(context.path_format)] = _Lean(route, checks[0] if checks else None, handler)
    return found


class LeanRoutes:
    """ASGI middleware: the lean routes answered here; everything else passed on to the FastAPI stack."""

    def __init__(self, app: ASGIApp, *, routes: dict[str, _Lean]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lean = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if lean is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = lean.declared  # RequestMetrics names the route by its template, as for every route
        runtime: Runtime = scope["app"].state.runtime
        try:
            principal = await _caller(runtime, scope)
            if lean.roles is not None:
                lean.roles.admit(principal)
            await lean.handler(LeanRequest(runtime, principal, scope), receive, send)
        except Problem as problem:
            answer = problem_response(
                problem.status, problem.title, problem.detail, scope["path"], headers=problem.headers,
                **problem.extensions,
            )  # fmt: skip
            await answer(scope, receive, send)


async def _caller(runtime: Runtime, scope: Scope) -> Principal:
    """The verified caller, as `current_principal` finds it (a GET: no write limit applies)."""
    authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
    scheme, credentials = get_authorization_scheme_param(authorization)
    bearer = authorization and scheme and credentials and scheme.lower() == "bearer"
    return await verified(runtime.verifier, credentials if bearer else None)
