"""A paced HTTP/1.1 load generator on raw asyncio streams: keep-alive connections, requests built in advance.

httpx costs milliseconds of CPU per request, which on a 2-core machine is taken from the services under test;
this client costs a few tens of microseconds, so the figures describe the platform, not the load generator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Tally:
    """What the generator saw."""

    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def sent(self) -> int:
        """Responses received."""
        return sum(self.statuses.values())


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def paced(
    host: str, port: int, request: Callable[[int], bytes], *, rate: float, total: int, connections: int = 64
) -> Tally:
    """Send `request(n)` for n in 0..total-1, the n-th no earlier than n/rate seconds after the start."""
    tally = Tally()
    loop = asyncio.get_running_loop()
    start = loop.time()
    counter = iter(range(total))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for n in counter:
                delay = start + n / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                status = await _exchange(reader, writer, request(n))
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    tally.elapsed = loop.time() - start
    return tally


def post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 keep-alive POST, as bytes."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
