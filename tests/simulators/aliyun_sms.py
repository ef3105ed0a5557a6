"""A simulator of Alibaba Cloud SMS `SendSms` (Dysmsapi 2017-05-25, RPC style, HMAC-SHA1 signature v1.0).

It checks the signature the way Alibaba Cloud documents it (URL-encode, then `+`→`%20`, `*`→`%2A`, `%7E`→`~`),
refuses unknown keys and malformed mainland numbers, and throttles one number to one message a minute
(`isv.BUSINESS_LIMIT_CONTROL`), all on the test's clock. `fail_next` queues error codes to answer with, `delay`
makes every answer slow, `failing` answers a share of calls with a retryable fault.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chassis.clock import Clock

_MAINLAND_MOBILE = re.compile(r"^(\+?86)?1[3-9][0-9]{9}$")
_STATUS = {"SignatureDoesNotMatch": 400, "InvalidAccessKeyId.NotFound": 404, "isp.SYSTEM_ERROR": 500}


@dataclass
class SmsSent:
    """One message the simulator accepted."""

    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str | None
    biz_id: str


@dataclass
class AliyunSmsSimulator:
    """The provider's state: keys, accepted messages, per-number throttle, injected failures."""

    clock: Clock
    access_key_id: str = "LTAI-test-key"
    access_key_secret: str = "test-secret-of-the-sms-account"
    sent: list[SmsSent] = field(default_factory=list)
    calls: int = 0
    fail_next: list[str] = field(default_factory=list)
    delay: float = 0.0
    failing: float = 0.0
    """The share of calls answered `isp.SYSTEM_ERROR` (the provider's own retryable fault), drawn from a seeded
    random so a run is repeatable."""
    _draws: random.Random = field(default_factory=lambda: random.Random(20261206))
    _last_by_number: dict[str, datetime] = field(default_factory=dict)

    def app(self) -> Starlette:
        """The ASGI app (POST / with a form body)."""
        return Starlette(routes=[Route("/", self._send_sms, methods=["POST"])])

    async def _send_sms(self, request: Request) -> JSONResponse:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        code = self._refusal(form)
        if code is not None:
            return self._error(code)
        phone = form["PhoneNumbers"]
        now = self.clock.now()
        last = self._last_by_number.get(phone)
        if last is not None and now - last < timedelta(minutes=1):
            return self._error("isv.BUSINESS_LIMIT_CONTROL")
        self._last_by_number[phone] = now
        biz_id = f"{uuid.uuid4().int % 10**15}^0"
        self.sent.append(
            SmsSent(
                phone=phone,
                sign_name=form["SignName"],
                template_code=form["TemplateCode"],
                params=orjson.loads(form.get("TemplateParam", "{}")),
                out_id=form.get("OutId"),
                biz_id=biz_id,
            )
        )
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4())})

    def _refusal(self, form: dict[str, str]) -> str | None:
        if form.get("AccessKeyId") != self.access_key_id:
            return "InvalidAccessKeyId.NotFound"
        if form.get("Signature") != _expected_signature(form, self.access_key_secret):
            return "SignatureDoesNotMatch"
        if form.get("Action") != "SendSms" or form.get("Version") != "2017-05-25":
            return "InvalidVersion"
        if self.fail_next:
            return self.fail_next.pop(0)
        if self.failing and self._draws.random() < self.failing:
            return "isp.SYSTEM_ERROR"
        if not _MAINLAND_MOBILE.match(form.get("PhoneNumbers", "")):
            return "isv.MOBILE_NUMBER_ILLEGAL"
        return None

    def _error(self, code: str) -> JSONResponse:
        body = {"Code": code, "Message": f"simulated {code}", "RequestId": str(uuid.uuid4())}
        return JSONResponse(body, status_code=_STATUS.get(code, 200))


def _encode(value: str) -> str:
    return quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def _expected_signature(form: dict[str, str], secret: str) -> str:
    pairs = sorted((k, v) for k, v in form.items() if k != "Signature")
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    string_to_sign = "POST&" + _encode("/") + "&" + _encode(query)
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def status_report(sent: SmsSent, *, success: bool, at: datetime, err_code: str | None = None) -> dict[str, Any]:
    """The `SmsReport` entry Alibaba Cloud pushes for an accepted message (its documented fields, its time format)."""
    stamp = at.strftime("%Y-%m-%d %H:%M:%S")
    return {
        "phone_number": sent.phone[:3] + "****" + sent.phone[-4:],
        "send_time": stamp,
        "report_time": stamp,
        "success": success,
        "err_code": err_code or ("DELIVERED" if success else "MK:0001"),
        "err_msg": "用户接收成功" if success else "用户关机或欠费",
        "sms_size": "1",
        "biz_id": sent.biz_id,
        "out_id": sent.out_id or "",
    }


async def push_reports(client: Any, url: str, reports: list[dict[str, Any]]) -> Any:
    """Push reports as the HTTP batch push does: one JSON array per POST; the answer tells whether to push again
    (anything but a 200 with a numeric `code`)."""
    return await client.post(url, content=orjson.dumps(reports), headers={"Content-Type": "application/json"})
