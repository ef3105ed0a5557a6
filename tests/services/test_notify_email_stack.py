"""Notify's e-mail over SMTP to the local stack's own SMTP server (`deploy/local/stack`, aiosmtpd keeping mail in a
maildir) when `stack env` names it, or to one this test starts on loopback (tests/simulators/smtp.py) otherwise."""

from __future__ import annotations

import contextlib
import mailbox
import os
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from services.notify.app import DEFINITION
from tests.conftest import eventually, running, stack_settings
from tests.services.conftest import publish_as_producer
from tests.simulators.notify_stack import ROSTER, checked_in, set_preferences
from tests.simulators.smtp import smtp_server

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

Inbox = Callable[[str], list[EmailMessage]]


@contextlib.contextmanager
def mail_server() -> Iterator[tuple[int, Inbox]]:
    """An SMTP port and a reader of the messages it accepted for one address."""
    port = os.environ.get("AFTERSCHOOL_TEST_SMTP_PORT")
    if port:
        maildir = mailbox.Maildir(os.environ["AFTERSCHOOL_TEST_SMTP_MAILDIR"], create=False)

        def kept(to: str) -> list[EmailMessage]:
            parsed = [message_from_bytes(maildir.get_bytes(key), policy=policy.default) for key in maildir.iterkeys()]
            return [m for m in parsed if isinstance(m, EmailMessage) and m["To"] == to]

        yield int(port), kept
        return
    with smtp_server() as (store, own_port):
        yield own_port, lambda to: [m for m in store.messages if m["To"] == to]


async def test_an_alert_by_email_reaches_the_smtp_server(pg_url: str, topic_prefix: str) -> None:
    address = f"mum-{uuid.uuid4().hex[:8]}@example.cn"  # the stack's maildir is shared by every run
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    with mail_server() as (port, received):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_sender": "notify@school.example.cn"}
        settings = stack_settings(DEFINITION, pg_url, topic_prefix, delivery_tick_seconds=0.05, **smtp)
        async with running(DEFINITION, settings) as notify:
            await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": address})
            await publish_as_producer(topic_prefix, [checked_in(5)], school_id="s1")

            await eventually(lambda: received(address))
            [mail] = received(address)
            assert mail["Subject"] == "课后服务签到"
            assert mail.get_content().strip() == "小明已于16:05签到参加课后服务。"
