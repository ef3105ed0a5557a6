"""Providers' receipts on the real stack (issue 10): Alibaba Cloud SMS's status-report push and WeChat's
`TEMPLATESENDJOBFINISH` move a sent delivery to delivered, or to failed with the urgent alert's fall-back (NT-2);
repeats change nothing, and a push without the configured secret or signature is refused."""

from __future__ import annotations

import pytest

from tests.conftest import eventually
from tests.services.conftest import publish_as_producer
from tests.simulators.aliyun_sms import push_reports, status_report
from tests.simulators.notify_stack import (
    EMAIL,
    OPENID,
    PHONE,
    ROSTER,
    SMS_RECEIPT_TOKEN,
    absent,
    checked_in,
    deliveries,
    in_states,
    notify_after,
    notify_with,
    providers,
    set_preferences,
)
from tests.simulators.wechat import SERVER_TOKEN, signed_query, template_finished

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

SMS_RECEIPTS = f"/notify/v1/receipts/sms?token={SMS_RECEIPT_TOKEN}"
WECHAT_RECEIPTS = "/notify/v1/receipts/wechat"


async def test_an_sms_status_report_marks_the_delivery_delivered_once(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE})
        await publish_as_producer(topic_prefix, [checked_in(6)], school_id="s1")
        await eventually(in_states(notify, "sms", ["sent"]))
        [sent] = outside.sms.sent
        report = status_report(sent, success=True, at=outside.clock.now())

        refused = await push_reports(notify, "/notify/v1/receipts/sms?token=guessed", [report])
        assert (refused.status_code, refused.headers["content-type"]) == (403, "application/problem+json")
        assert [d.state for d in await deliveries(notify, "sms")] == ["sent"]

        for _ in range(2):  # the push repeats itself when it is unsure: the second changes nothing
            answer = await push_reports(notify, SMS_RECEIPTS, [report])
            assert (answer.status_code, answer.json()["code"]) == (200, 0)
        [delivery] = await deliveries(notify, "sms")
        assert (delivery.state, delivery.delivered_at) == ("delivered", outside.clock.now())
        # a report for a message notify never sent is acknowledged and ignored
        stranger = {**report, "out_id": "not-ours", "biz_id": "1^0"}
        assert (await push_reports(notify, SMS_RECEIPTS, [stranger])).status_code == 200


async def test_an_urgent_sms_that_never_arrived_falls_back_to_the_next_channel(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        choices = {"channels": {"urgent": ["sms", "email"]}, "phone": PHONE, "email": EMAIL}
        await set_preferences(notify, choices)
        await publish_as_producer(topic_prefix, [absent()], school_id="s1")
        await eventually(in_states(notify, "sms", ["sent"]))
        assert await deliveries(notify, "email") == []  # sent is not yet a reason to try the next

        [sent] = outside.sms.sent
        failure = status_report(sent, success=False, at=outside.clock.now(), err_code="MK:0001")
        assert (await push_reports(notify, SMS_RECEIPTS, [failure])).status_code == 200
        [sms] = await deliveries(notify, "sms")
        assert (sms.state, sms.last_error) == ("failed", "receipt: MK:0001 用户关机或欠费")
        await eventually(in_states(notify, "email", ["sent"]))
        assert [m["To"] for m in outside.mail.messages] == [EMAIL]


async def test_wechat_template_results_move_their_deliveries(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        check = await notify.get(
            WECHAT_RECEIPTS, params={**signed_query(SERVER_TOKEN, "1764054000", "n1"), "echostr": "echo-42"}
        )
        assert (check.status_code, check.text) == (200, "echo-42")  # WeChat's check of the server address
        bad = signed_query("not-the-token", "1764054000", "n1")
        assert (await notify.get(WECHAT_RECEIPTS, params={**bad, "echostr": "x"})).status_code == 403

        await set_preferences(notify, {"channels": {"attendance": ["wechat"]}, "wechat_openid": OPENID})
        await publish_as_producer(topic_prefix, [checked_in(8), checked_in(9)], school_id="s1")
        await eventually(in_states(notify, "wechat", ["sent", "sent"]))
        first, second = outside.wechat.sent
        query = signed_query(SERVER_TOKEN, "1764054100", "n2")

        forged = await notify.post(
            WECHAT_RECEIPTS, params=bad, content=template_finished(first, status="success", created=1)
        )
        assert forged.status_code == 403
        for sent, status in ((first, "success"), (second, "failed:user block"), (first, "success")):
            answer = await notify.post(
                WECHAT_RECEIPTS, params=query, content=template_finished(sent, status=status, created=1)
            )
            assert (answer.status_code, answer.text) == (200, "success")
        by_message = {d.provider_id: d for d in await deliveries(notify, "wechat")}
        assert by_message[str(first.msgid)].state == "delivered"
        assert (by_message[str(second.msgid)].state, by_message[str(second.msgid)].last_error) == (
            "failed",
            "receipt: failed:user block",
        )
        subscribe = b"<xml><MsgType>event</MsgType><Event>subscribe</Event><FromUserName>o1</FromUserName></xml>"
        assert (await notify.post(WECHAT_RECEIPTS, params=query, content=subscribe)).text == "success"
        broken = await notify.post(WECHAT_RECEIPTS, params=query, content=b"<xml><unclosed>")
        assert (broken.status_code, broken.headers["content-type"]) == (422, "application/problem+json")


async def test_receipts_are_refused_where_they_are_not_configured(pg_url: str, topic_prefix: str) -> None:
    async with (
        providers() as outside,
        notify_with(pg_url, topic_prefix, outside, sms_receipt_token=None, wechat_server_token=None) as notify,
    ):
        assert (await push_reports(notify, SMS_RECEIPTS, [])).status_code == 404
        query = {**signed_query(SERVER_TOKEN, "1", "n"), "echostr": "x"}
        assert (await notify.get(WECHAT_RECEIPTS, params=query)).status_code == 404
