"""Listening sockets bound before a server starts, so a busy port is one clear line rather than a traceback."""

from __future__ import annotations

import errno
import socket


class PortUnavailable(Exception):
    """The address cannot be listened on; the message is one line that says what to do."""


def listen(host: str, port: int, *, command: str) -> socket.socket:
    """A socket bound to host:port for uvicorn to serve on; `command` is how the user started it (for the hint)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            hint = f"{command} --port {port + 1}"
            raise PortUnavailable(f"{host}:{port} is in use (another demo?); pick a free port: {hint}") from None
        raise PortUnavailable(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock
