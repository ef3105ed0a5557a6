"""Bounded requests: a body larger than the service allows is refused with 413 while it is read, before anything
parses it and before authentication (an unauthenticated 100 MB POST must cost nothing).

FastAPI's own `max_body_size` is not used: when a request declares a Content-Length over the limit, Starlette's
limiter replaces whatever the app answers with a plain-text 413, so the problem+json contract would break.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.problems import problem_response

FILE_TYPES = (b"text/csv", b"application/vnd.openxmlformats", b"application/octet-stream", b"multipart/form-data")
"""Content types of uploaded files (roster imports, payment statements), which get the larger upload limit."""


class BodyLimit:
    """ASGI middleware: at most `max_body` bytes of request body (`max_upload` for file uploads), else a 413."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    def limit_for(self, headers: dict[bytes, bytes]) -> int:
        """The limit that applies to a request with these headers."""
        is_file = headers.get(b"content-type", b"").lower().startswith(FILE_TYPES)
        return self.max_upload if is_file else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.limit_for(headers)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            response = problem_response(413, "Content Too Large", too_large(limit), scope.get("path", ""))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            # A chunked body (or one longer than its Content-Length) is counted as it arrives. FastAPI passes an
            # HTTPException raised while it reads a body on to the problem handlers, as it does one from a route.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


def too_large(limit: int) -> str:
    """The problem detail of a refused body."""
    return f"the request body is larger than this service accepts ({limit} bytes)"
