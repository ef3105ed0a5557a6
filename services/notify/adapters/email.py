"""E-mail over SMTP (aiosmtplib): the school district's own relay or a mail provider's SMTP endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from services.notify.adapters.base import Outgoing, Permanent, Sent, Transient
from services.notify.domain.channels import Channel


@dataclass(frozen=True)
class SmtpServer:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    timeout: float = 10.0


class EmailAdapter:
    """One message per delivery; its Message-ID is derived from the delivery id, so a mail system that sees a
    resend after a crash between "accepted" and "recorded" can tell it is the same message (NT-3)."""

    channel = Channel.EMAIL

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def send(self, outgoing: Outgoing) -> Sent:
        """Hand the message to the SMTP server; 4xx answers are transient, 5xx permanent."""
        message = EmailMessage()
        message["From"] = self._server.sender
        message["To"] = outgoing.address
        message["Subject"] = outgoing.title
        message["Message-ID"] = f"<{outgoing.delivery_id}@afterschool.notify>"
        message["Content-Language"] = "en" if outgoing.language == "en" else "zh-CN"
        if outgoing.urgent:
            message["Importance"] = "high"
        message.set_content(outgoing.body)
        server = self._server
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                start_tls=server.start_tls,
                timeout=server.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            raise _by_code(min(codes, default=550), str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(error.code, error.message) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise Transient("smtp-unreachable", repr(error)) from error
        return Sent(provider_id=message["Message-ID"])


def _by_code(code: int, detail: str) -> Transient | Permanent:
    kind = Transient if 400 <= code < 500 else Permanent
    return kind(f"smtp-{code}", detail)
