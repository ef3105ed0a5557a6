"""A live stream's response: server-sent events written straight to the connection (issue 10's 10,000 streams).

FastAPI's `EventSourceResponse` runs a generator endpoint through a producer task, a keep-alive task and two memory
streams, inside Starlette's streaming response with its own disconnect task: four tasks, two task groups and three
hand-offs a stream, for every event. This response writes each event from the request's own task, with one small
task waiting for the client to go, which closes the stream's listener so its events end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering of the events
ON_DISCONNECT = "afterschool.on_disconnect"
"""An ASGI extension of the stream port (chassis/streams.py): `register(callback)`, called once when the client
goes. With it a stream needs no task of its own waiting on `receive()` (~1.4 KB a stream)."""


class LiveStream(StreamingResponse):
    """`text/event-stream` of already formatted events; `stop` ends them (it is called when the client goes)."""

    media_type = "text/event-stream"

    def __init__(
        self, events: AsyncIterator[bytes], stop: Callable[[], Awaitable[None]], status_code: int = 200
    ) -> None:  # `status_code` with its default: FastAPI's OpenAPI reads the route's status from this signature
        super().__init__(events, status_code=status_code, headers=HEADERS)
        self._events, self._stop = events, stop
        self._stopping: asyncio.Future[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        register = scope.get("extensions", {}).get(ON_DISCONNECT)
        if register is not None:
            watcher = None
            register(self._gone)
        else:
            watcher = asyncio.get_running_loop().create_task(self._until_gone(receive))
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for event in self._events:
                await send({"type": "http.response.body", "body": event, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            if watcher is not None:
                watcher.cancel()
            await self._stop()
            with contextlib.suppress(RuntimeError):  # already finished
                await self._events.aclose()  # type: ignore[attr-defined]

    def _gone(self) -> None:
        self._stopping = asyncio.ensure_future(self._stop())  # referenced until it has run

    async def _until_gone(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        await self._stop()
