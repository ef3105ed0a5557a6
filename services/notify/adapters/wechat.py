"""WeChat Official Account template messages (微信公众号模板消息, `cgi-bin/message/template/send`).

The access token comes from `cgi-bin/stable_token`, which hands every caller of one app the same token, so
replicas do not invalidate each other's tokens as the older `cgi-bin/token` does. It is cached until shortly
before its `expires_in`, and fetched again when WeChat says it expired (42001) or is invalid (40001, 40014).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx

from chassis.clock import Clock
from services.notify.adapters.base import Outgoing, Permanent, Sent, Transient
from services.notify.domain.channels import Channel

TOKEN_EXPIRED = frozenset({42001})
TOKEN_INVALID = frozenset({40001, 40014})
# -1 system busy; 45009 daily API quota; 45011 API frequency limit; 45047 too many messages to one user.
_TRANSIENT = {-1: 1.0, 45009: 3600.0, 45011: 60.0, 45047: 60.0}
_REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class WeChatApp:
    """The Official Account's credentials (from settings) and the approved template."""

    api_base: str
    app_id: str
    app_secret: str
    template_id: str


class WeChatTemplateAdapter:
    """Sends one template message per delivery to the guardian's OpenID."""

    channel = Channel.WECHAT

    def __init__(self, http: httpx.AsyncClient, app: WeChatApp, clock: Clock) -> None:
        self._http, self._app, self._clock = http, app, clock
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self._lock = asyncio.Lock()
        self.tokens_fetched = 0

    async def send(self, outgoing: Outgoing) -> Sent:
        """Send; on an expired or invalid token fetch a new one and send once more."""
        token = await self._access_token(force=False)
        answer = await self._post_template(token, outgoing)
        code = int(answer.get("errcode", 0))
        if code in TOKEN_EXPIRED | TOKEN_INVALID:
            token = await self._access_token(force=code in TOKEN_INVALID, stale=token)
            answer = await self._post_template(token, outgoing)
            code = int(answer.get("errcode", 0))
        if code == 0:
            return Sent(provider_id=str(answer.get("msgid", "")) or None)
        message = str(answer.get("errmsg", ""))
        if code in _TRANSIENT:
            raise Transient(str(code), message, retry_after=_TRANSIENT[code])
        raise Permanent(str(code), message)

    async def _post_template(self, token: str, outgoing: Outgoing) -> dict[str, Any]:
        body = {
            "touser": outgoing.address,
            "template_id": self._app.template_id,
            "data": {"title": {"value": outgoing.title}, "content": {"value": outgoing.body}},
        }
        url = f"{self._app.api_base}/cgi-bin/message/template/send"
        return await self._call(url, body, params={"access_token": token})

    async def _access_token(self, *, force: bool, stale: str | None = None) -> str:
        async with self._lock:
            # Another send may have refreshed it while this one waited for the lock.
            fresh = self._token is not None and self._token != stale
            if fresh and self._expires_at is not None and self._clock.now() < self._expires_at:
                return self._token  # type: ignore[return-value]
            body = {
                "grant_type": "client_credential",
                "appid": self._app.app_id,
                "secret": self._app.app_secret,
                "force_refresh": force,
            }
            answer = await self._call(f"{self._app.api_base}/cgi-bin/stable_token", body)
            if "access_token" not in answer:
                code = int(answer.get("errcode", 0))
                kind = Transient if code in _TRANSIENT else Permanent
                raise kind(f"token-{code}", str(answer.get("errmsg", "")))
            self.tokens_fetched += 1
            self._token = str(answer["access_token"])
            lifetime = timedelta(seconds=int(answer.get("expires_in", 7200)))
            self._expires_at = self._clock.now() + lifetime - _REFRESH_MARGIN
            return self._token

    async def _call(self, url: str, body: dict[str, Any], params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self._http.post(url, json=body, params=params)
        except httpx.HTTPError as error:
            raise Transient("unreachable", repr(error)) from error
        if response.status_code >= 500:
            raise Transient(f"http-{response.status_code}", response.text[:200])
        try:
            answer: dict[str, Any] = response.json()
        except ValueError as error:
            raise Transient("bad-answer", response.text[:200]) from error
        return answer


def server_signature_ok(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """WeChat's server-message check: `signature` is SHA-1 of the token, timestamp and nonce sorted and joined."""
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True)
class TemplateFinished:
    """`TEMPLATESENDJOBFINISH`: WeChat's word on one template message (`Status` success, or why not)."""

    msg_id: str
    openid: str
    status: str

    @property
    def delivered(self) -> bool:
        """Whether the message reached the guardian (`failed:user block`, `failed: system failed` did not)."""
        return self.status == "success"


def parse_server_event(body: bytes) -> TemplateFinished | None:
    """A template job's result from a server-message push (plaintext mode), or None for any other message.
    Expat (2.4.1 and later, bundled with Python 3.11) refuses entity-expansion bombs."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise ValueError(f"not a WeChat server message: {error}") from error
    if root.findtext("MsgType") != "event" or root.findtext("Event") != "TEMPLATESENDJOBFINISH":
        return None
    msg_id, status = root.findtext("MsgID"), root.findtext("Status")
    if not msg_id or not status:
        raise ValueError("TEMPLATESENDJOBFINISH without MsgID or Status")
    return TemplateFinished(msg_id=msg_id.strip(), openid=(root.findtext("FromUserName") or "").strip(), status=status)
