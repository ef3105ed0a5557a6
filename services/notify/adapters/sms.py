"""SMS through Alibaba Cloud SMS (阿里云短信服务, Dysmsapi `SendSms`, API version 2017-05-25), RPC style:
a form POST whose parameters are signed with HMAC-SHA1 (`SignatureVersion` 1.0)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from chassis.clock import Clock
from services.notify.adapters.base import Outgoing, Permanent, Sent, Transient
from services.notify.domain.channels import Channel

# Error codes of SendSms (Alibaba Cloud's documentation, "SendSms 错误码"). Business throttling (per number:
# 1 a minute, 5 an hour, 10 a day) and system errors are worth a later try; everything else needs a person.
_TRANSIENT = {"isv.BUSINESS_LIMIT_CONTROL": 60.0, "Throttling.User": 1.0, "Throttling": 1.0, "isp.SYSTEM_ERROR": 0.0}


@dataclass(frozen=True)
class AliyunSmsAccount:
    """The account's keys (from settings), its approved signature and template."""

    endpoint: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str


def percent_encode(value: str) -> str:
    """Alibaba Cloud's POP encoding: RFC 3986 unreserved characters kept, everything else %XX (space is %20)."""
    return quote(value, safe="-_.~")


def signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """HMAC-SHA1 over `METHOD&%2F&` + the encoded, sorted, encoded-again query, keyed with `secret&`."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsAdapter:
    """One `SendSms` call per delivery; `OutId` carries the delivery id back in receipts."""

    channel = Channel.SMS

    def __init__(self, http: httpx.AsyncClient, account: AliyunSmsAccount, clock: Clock) -> None:
        self._http, self._account, self._clock = http, account, clock

    async def send(self, outgoing: Outgoing) -> Sent:
        """Send the title and body as the template's `title` and `content` parameters."""
        account = self._account
        params = {
            "AccessKeyId": account.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": outgoing.delivery_id,
            "PhoneNumbers": outgoing.address,
            "RegionId": "cn-hangzhou",
            "SignName": account.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": account.template_code,
            "TemplateParam": orjson.dumps({"title": outgoing.title, "content": outgoing.body}).decode(),
            "Timestamp": self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = signature(params, account.access_key_secret)
        try:
            response = await self._http.post(account.endpoint, data=params)
        except httpx.HTTPError as error:
            raise Transient("unreachable", repr(error)) from error
        if response.status_code >= 500:
            raise Transient(f"http-{response.status_code}", response.text[:200])
        try:
            answer = response.json()
        except ValueError as error:
            raise Transient("bad-answer", response.text[:200]) from error
        code = str(answer.get("Code", ""))
        if code == "OK":
            return Sent(provider_id=str(answer.get("BizId", "")) or None)
        message = str(answer.get("Message", ""))
        if code in _TRANSIENT:
            raise Transient(code, message, retry_after=_TRANSIENT[code])
        raise Permanent(code or f"http-{response.status_code}", message)


class SmsReport(BaseModel):
    """One status report of Alibaba Cloud SMS's HTTP push (`SmsReport`, a JSON array of these): `out_id` is the
    `OutId` the adapter sent, the delivery's id."""

    # the provider may add fields; only these are read
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "phone_number": "13800138000",
                    "send_time": "2026-11-25 17:30:06",
                    "report_time": "2026-11-25 17:30:09",
                    "success": True,
                    "err_code": "DELIVERED",
                    "err_msg": "用户接收成功",
                    "biz_id": "932702304080415357^0",
                    "out_id": "6b1f0c2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e",
                }
            ]
        },
    )

    phone_number: str = Field(max_length=32, description="the number the message went to")
    send_time: str = Field(max_length=32, description="when the provider sent it, `YYYY-MM-DD HH:MM:SS` Beijing time")
    report_time: str = Field(max_length=32, description="when the carrier reported, `YYYY-MM-DD HH:MM:SS` Beijing time")
    success: bool = Field(description="true when the phone received it")
    err_code: str = Field(max_length=64, description="the carrier's status code, `DELIVERED` on success")
    err_msg: str = Field(default="", max_length=500, description="the carrier's status text")
    biz_id: str = Field(default="", max_length=128, description="the provider's id of the send")
    out_id: str = Field(default="", max_length=64, description="the `OutId` the adapter sent: the delivery's id (NT-3)")


REPORT_ACCEPTED = {"code": 0, "msg": "接收成功"}
"""What the push expects back with a 200; anything else (or a 5xx) makes it push again (1, 5, 10 minutes later)."""
