"""RFC 9457 problem details: every error leaves a service as `application/problem+json`."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chassis.db import is_database_unreachable

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """A domain or request error with its HTTP status; raise a subclass."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}  # response headers the problem needs, e.g. a 429's `Retry-After`


class Unauthorized(Problem):
    """No valid credentials."""

    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    """Valid credentials that may not do this."""

    status, title = 403, "Forbidden"


class NotFound(Problem):
    """Nothing there for this caller (also used for another school's data, so as not to reveal it)."""

    status, title = 404, "Not found"


class Conflict(Problem):
    """The request clashes with the current state."""

    status, title = 409, "Conflict"


class Unprocessable(Problem):
    """Well-formed but not acceptable (a broken rule, an idempotency key reused with another body)."""

    status, title = 422, "Unprocessable content"


def problem_response(
    status: int,
    title: str,
    detail: str,
    instance: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response, with `headers` (e.g. `Retry-After`) when the problem needs some."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    body.update(extensions)
    sent = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    sent.update(headers or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent or None)


def is_data_exception(error: DBAPIError) -> bool:
    """Whether the database refused a value (SQLSTATE class 22), rather than failed."""
    if isinstance(error, DataError):
        return True
    cause = error.orig.__cause__ if error.orig is not None else None
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error into problem+json."""

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return problem_response(
            error.status, error.title, error.detail, request.url.path, headers=error.headers, **error.extensions
        )

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in error.errors()
        ]
        return problem_response(
            422, "Invalid request", "the request does not match the schema", request.url.path, errors=errors
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        title = HTTPStatus(error.status_code).phrase
        return problem_response(error.status_code, title, str(error.detail), request.url.path)

    async def on_database_error(request: Request, error: Exception) -> JSONResponse:
        # A value the input layer let through that the database refuses (SQLSTATE class 22: a NUL byte, a number
        # out of range) is the request's fault, not the server's. chassis/db.py keeps parameters out of the log.
        # A database that is down or restarting is nobody's fault: 503, so a kiosk retries with the same key.
        if is_database_unreachable(error):
            return problem_response(
                503, "Service unavailable", "the database cannot be reached; try again", request.url.path,
                headers={"Retry-After": "1"},
            )  # fmt: skip
        assert isinstance(error, DBAPIError)
        if not is_data_exception(error):
            raise error
        return problem_response(
            422, "Unprocessable content", "the request holds a value that cannot be stored", request.url.path
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(ConnectionError, on_database_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
