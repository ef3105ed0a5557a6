"""A simulator of the WeChat Official Account API: `cgi-bin/stable_token` and `cgi-bin/message/template/send`.

Tokens live 7200 s on the test's clock; `stable_token` hands out the current token until it expires, or a new
one with `force_refresh`. A send with an expired token gets 42001, with an unknown one 40001; a user who does not
follow the account gets 43004; more than `per_minute` sends in one clock minute get 45011 (API frequency limit).
`fail_next` queues error codes; `revoke_tokens()` invalidates every token (as a secret reset would).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chassis.clock import Clock

TOKEN_LIFETIME = timedelta(seconds=7200)


@dataclass
class TemplateSent:
    """One template message the simulator accepted."""

    openid: str
    template_id: str
    data: dict[str, Any]
    msgid: int


@dataclass
class WeChatSimulator:
    """The Official Account's state on WeChat's side."""

    clock: Clock
    app_id: str = "wx-test-app"
    app_secret: str = "test-secret-of-the-official-account"
    followers: set[str] = field(default_factory=set)
    per_minute: int = 1000
    sent: list[TemplateSent] = field(default_factory=list)
    token_requests: int = 0
    fail_next: list[int] = field(default_factory=list)
    delay: float = 0.0
    _tokens: dict[str, datetime] = field(default_factory=dict)
    _current: str | None = None
    _minute: dict[str, int] = field(default_factory=dict)

    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(
            routes=[
                Route("/cgi-bin/stable_token", self._stable_token, methods=["POST"]),
                Route("/cgi-bin/message/template/send", self._send, methods=["POST"]),
            ]
        )

    def revoke_tokens(self) -> None:
        """Every token stops working at once (40001 from now on)."""
        self._tokens.clear()
        self._current = None

    async def _stable_token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        body = await request.json()
        if body.get("appid") != self.app_id:
            return _err(40013, "invalid appid")
        if body.get("secret") != self.app_secret:
            return _err(40125, "invalid appsecret")
        now = self.clock.now()
        current = self._current
        if body.get("force_refresh") or current is None or self._tokens.get(current, now) <= now:
            current = f"tok-{uuid.uuid4().hex}"
            self._tokens[current] = now + TOKEN_LIFETIME
            self._current = current
        remaining = int((self._tokens[current] - now).total_seconds())
        return JSONResponse({"access_token": current, "expires_in": remaining})

    async def _send(self, request: Request) -> JSONResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        token = request.query_params.get("access_token", "")
        now = self.clock.now()
        if token not in self._tokens:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        if self._tokens[token] <= now:
            return _err(42001, "access_token expired")
        if self.fail_next:
            return _err(self.fail_next.pop(0), "simulated")
        minute = now.strftime("%Y%m%d%H%M")
        if self._minute.get(minute, 0) >= self.per_minute:
            return _err(45011, "api minute-quota reach limit")
        self._minute[minute] = self._minute.get(minute, 0) + 1
        body = await request.json()
        if body.get("touser") not in self.followers:
            return _err(43004, "require subscribe")
        msgid = len(self.sent) + 200228332
        self.sent.append(TemplateSent(body["touser"], body["template_id"], body.get("data", {}), msgid))
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def _err(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})


SERVER_TOKEN = "test-server-token-of-the-official-account"


def signed_query(token: str, timestamp: str, nonce: str) -> dict[str, str]:
    """The query WeChat puts on each server-message push: its signature over the account's server token."""
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def template_finished(sent: TemplateSent, *, status: str, created: int, account: str = "gh_test_account") -> bytes:
    """The `TEMPLATESENDJOBFINISH` server message WeChat pushes when a template job ends (plaintext mode)."""
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sent.openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{sent.msgid}</MsgID>"
        f"<Status><![CDATA[{status}]]></Status></xml>"
    ).encode()
