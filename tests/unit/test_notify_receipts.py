"""Receipts' pure rules (issue 10): which state a receipt moves a delivery to, WeChat's server signature, and the
`TEMPLATESENDJOBFINISH` message."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from services.notify.adapters.wechat import parse_server_event, server_signature_ok
from services.notify.domain.channels import DeliveryState
from services.notify.domain.receipts import after_receipt
from services.notify.receipts.handlers import Applied, apply
from services.notify.store import Delivery

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "delivered", "expected"),
    [
        (DeliveryState.SENT, True, DeliveryState.DELIVERED),
        (DeliveryState.SENT, False, DeliveryState.FAILED),
        (DeliveryState.DELIVERED, True, None),  # a repeat
        (DeliveryState.DELIVERED, False, None),  # a late contradiction: the first word stands
        (DeliveryState.READ, True, None),  # the guardian opened it: nothing a receipt says goes back
        (DeliveryState.FAILED, True, None),
        (DeliveryState.QUEUED, True, None),
    ],
)
def test_a_receipt_moves_only_a_sent_delivery(current: DeliveryState, delivered: bool, expected: object) -> None:
    assert after_receipt(current, delivered=delivered) is expected


def test_a_receipt_for_a_send_not_yet_recorded_asks_for_another_push() -> None:
    in_flight = Delivery(state=DeliveryState.QUEUED)
    assert apply(in_flight, delivered=True, error="", now=datetime(2026, 11, 25, tzinfo=UTC)) is Applied.IN_FLIGHT
    assert apply(None, delivered=True, error="", now=datetime(2026, 11, 25, tzinfo=UTC)) is Applied.UNKNOWN


def test_wechats_server_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce() -> None:
    # WeChat's documented recipe, spelled out here rather than taken from the code under test
    expected = hashlib.sha1("".join(sorted(["tok", "1409304348", "nonce-1"])).encode()).hexdigest()
    assert server_signature_ok("tok", "1409304348", "nonce-1", expected)
    assert not server_signature_ok("other", "1409304348", "nonce-1", expected)
    assert not server_signature_ok("tok", "1409304349", "nonce-1", expected)


def test_the_template_job_result_is_read_and_other_messages_are_not() -> None:
    finished = parse_server_event(
        b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oMum]]></FromUserName>"
        b"<CreateTime>1395658920</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        b"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID>"
        b"<Status><![CDATA[failed:user block]]></Status></xml>"
    )
    assert finished is not None
    assert (finished.msg_id, finished.openid, finished.delivered) == ("200163836", "oMum", False)
    text = b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>"
    assert parse_server_event(text) is None
    with pytest.raises(ValueError, match="MsgID"):
        parse_server_event(b"<xml><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event></xml>")
    with pytest.raises(ValueError, match="not a WeChat server message"):
        parse_server_event(b"<xml>")
