"""The stream port: a service's lean routes (its live streams) served on a port of their own (issue 10).

Under uvicorn and Starlette a live stream kept ~20 KB of per-connection objects alive for as long as it was open:
uvicorn's protocol and request cycle, their events and flow control, the error, body-limit and telemetry middleware
frames (docs/measurements.md). Ten thousand guardians holding a stream open is most of a pod's memory. A stream is
the simplest HTTP there is: one GET, no body, an answer that never ends. So this port parses the request with the
same parser uvicorn uses (httptools), answers with HTTP/1.1 chunked transfer and `Connection: close`, and runs only
what a stream needs: the request metrics, access log and trace (`RequestMetrics`) and the lean routes (`LeanRoutes`:
bearer verification, the route's role check, problem+json errors). The main port still serves the same routes.

Not a general HTTP server: one request a connection, GET only, no request body, no upgrade, headers bounded, and a
client that has not sent its request within `REQUEST_SECONDS` is closed (slowloris).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import httptools
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.lean import LeanRoutes
from chassis.live import ON_DISCONNECT
from chassis.observability import RequestMetrics
from chassis.problems import problem_response

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("afterschool.streams")

REQUEST_SECONDS = 10.0
"""How long a connection may take to send its request line and headers."""
MAX_HEADER_BYTES = 16 * 1024
"""The request line and headers together: a bearer token and a few headers need a few KB."""
WRITE_BUFFER_LIMIT = 1024 * 1024
"""Bytes a client may leave unread before it is closed: it fell behind, and reconnects with `Last-Event-ID`."""
_GONE: Message = {"type": "http.disconnect"}


class _Connection(asyncio.Protocol):
    """One client: its request parsed, then one task answering it through the port's ASGI app."""

    __slots__ = (
        "_chunked",
        "_gone",
        "_header_bytes",
        "_headers",
        "_on_gone",
        "_parser",
        "_port",
        "_read",
        "_started",
        "_task",
        "_timer",
        "_transport",
        "_url",
    )

    def __init__(self, port: StreamPort) -> None:
        self._port = port
        self._transport: asyncio.Transport | None = None
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._url, self._headers, self._header_bytes = b"", list[tuple[bytes, bytes]](), 0
        self._task: asyncio.Task[None] | None = None
        self._gone: asyncio.Future[None] | None = None
        self._read = False  # the request (no body) has been handed to the app
        self._started = False  # the answer's status line is written
        self._chunked = False  # the answer's body is sent in chunks (no length was given)
        self._timer: asyncio.TimerHandle | None = None
        self._on_gone: Callable[[], None] | None = None

    # --- asyncio.Protocol -----------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass, but has its methods
        self._port.connections.add(self)
        self._timer = asyncio.get_running_loop().call_later(REQUEST_SECONDS, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            return  # the request is read; a stream takes no more input (a pipelined request is not answered)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "this port takes no protocol upgrade")
        except httptools.HttpParserError:
            self._refuse(400, "the request is not HTTP/1.1")

    def connection_lost(self, exc: Exception | None) -> None:
        self._port.connections.discard(self)
        self._cancel_timer()
        self._parser = None
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)
        self._transport = None
        if self._on_gone is not None:
            on_gone, self._on_gone = self._on_gone, None
            on_gone()

    # --- httptools callbacks --------------------------------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._count(len(name) + len(value))

    def on_body(self, body: bytes) -> None:
        self._refuse(413, "a stream is a GET without a body")

    def on_message_complete(self) -> None:
        parser, self._parser = self._parser, None
        if parser is None or self._transport is None:
            return
        self._cancel_timer()
        url = httptools.parse_url(self._url)
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": parser.get_http_version(),
            "method": parser.get_method().decode("ascii"),
            "scheme": "http",
            "path": url.path.decode("utf-8", "replace"),
            "raw_path": url.path,
            "query_string": url.query or b"",
            "root_path": "",
            "headers": self._headers,
            "app": self._port.app,  # no `client` or `server` (optional in ASGI): nothing on this port reads them
            "extensions": {ON_DISCONNECT: self._register},
        }
        self._task = asyncio.get_running_loop().create_task(self._answer(scope))
        self._port.answering.add(self._task)
        self._task.add_done_callback(self._port.answering.discard)

    # --- the ASGI side --------------------------------------------------------------------------------------------

    async def _answer(self, scope: Scope) -> None:
        try:
            await self._port.asgi(scope, self._receive, self._send)
        except Exception:
            log.exception("a stream failed", extra={"path": scope["path"]})
            self._refuse(500, "the stream failed")
        finally:
            self._close()

    def _register(self, on_gone: Callable[[], None]) -> None:
        """`ON_DISCONNECT`: `on_gone` is called when the client goes (now, if it has)."""
        if self._transport is None:
            on_gone()
        else:
            self._on_gone = on_gone

    async def _receive(self) -> Message:
        if not self._read:
            self._read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if self._transport is None:
            return _GONE
        if self._gone is None:
            self._gone = asyncio.get_running_loop().create_future()
        await self._gone
        return _GONE

    async def _send(self, message: Message) -> None:
        transport = self._transport
        if transport is None:
            return  # the client went: what is left of the answer has nowhere to go
        if message["type"] == "http.response.start":
            self._started = True
            status = int(message["status"])
            lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
            headers = list(message.get("headers") or ())
            self._chunked = not any(name.lower() == b"content-length" for name, _ in headers)
            headers.append((b"connection", b"close"))
            if self._chunked:
                headers.append((b"transfer-encoding", b"chunked"))
            lines.extend(name + b": " + value for name, value in headers)
            transport.write(b"\r\n".join(lines) + b"\r\n\r\n")
            return
        body: bytes = message.get("body", b"")
        if self._chunked:
            if body:
                transport.write(b"%x\r\n%s\r\n" % (len(body), body))
            if not message.get("more_body", False):
                transport.write(b"0\r\n\r\n")
        elif body:
            transport.write(body)
        if transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            log.warning("a stream's client fell behind; closed", extra={"unread": transport.get_write_buffer_size()})
            transport.abort()  # connection_lost follows: the stream's listener is closed, its seat freed

    # --- helpers --------------------------------------------------------------------------------------------------

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, f"the request line and headers exceed {MAX_HEADER_BYTES} bytes")

    def _too_slow(self) -> None:
        self._timer = None
        if self._task is None:
            self._refuse(408, f"the request was not sent within {REQUEST_SECONDS:g} s")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, status: int, detail: str) -> None:
        """Answer a request this port cannot take with a problem, and close."""
        self._parser = None
        transport = self._transport
        if transport is None or self._started:
            return  # gone, or an answer already begun: closing is all that is left
        answer = problem_response(status, HTTPStatus(status).phrase, detail, self._url.decode("latin-1"))
        headers = b"".join(k + b": " + v + b"\r\n" for k, v in answer.raw_headers)
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()
        transport.write(head + headers + b"connection: close\r\n\r\n" + bytes(answer.body))
        self._started = True
        self._close()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class StreamPort:
    """The stream port of one service app: `await start(host, port)`, `await stop()`."""

    def __init__(self, app: FastAPI, asgi: ASGIApp) -> None:
        self.app, self.asgi = app, asgi
        self.connections: set[_Connection] = set()
        self.answering: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; the port bound (the one given, or the system's choice for 0)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, port, reuse_address=True)
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("stream port listening", extra={"port": bound})
        return bound

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop listening and close every stream: their clients reconnect elsewhere and resume where they were."""
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection._close()
        if self.answering:
            _, late = await asyncio.wait(set(self.answering), timeout=grace_seconds)
            for task in late:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def not_here(scope: Scope, receive: Receive, send: Send) -> None:
    """Anything but a lean route's GET on the stream port: a 404 problem."""
    answer = problem_response(404, "Not Found", "this port serves only the live streams", scope["path"])
    await answer(scope, receive, send)


def stream_asgi(routes: dict[str, Any], service: str, *, access_log: bool) -> ASGIApp:
    """What the stream port runs: the request metrics, access log and trace around the lean routes."""
    return RequestMetrics(LeanRoutes(not_here, routes=routes), service=service, access_log=access_log)
