"""A real SMTP server (aiosmtpd) on a loopback port, keeping every message it accepted; it can refuse a
recipient for good (550) or answer "try again later" (451) to the next messages, as mail servers do."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class MailStore:
    """What the server accepted, and how it should answer next."""

    messages: list[EmailMessage] = field(default_factory=list)
    refused_recipients: set[str] = field(default_factory=set)
    try_later: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """aiosmtpd hook: a recipient is accepted, refused for good, or deferred."""
        if address in self.refused_recipients:
            return "550 5.1.1 mailbox unavailable"
        if self.try_later > 0:
            self.try_later -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook: keep the message."""
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[MailStore, int]]:
    """Run aiosmtpd on loopback for the block; the store and the port."""
    store = MailStore()
    controller = Controller(store, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield store, controller.port
    finally:
        controller.stop()
