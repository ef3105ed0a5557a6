"""HTTP routes the providers call under `/notify/v1/receipts` (issue 10): Alibaba Cloud SMS's status-report push
and WeChat's server messages. No bearer token: SMS proves itself by the secret in the address it was configured
with, WeChat by signing each push with the account's server token; both unset, the routes answer 404."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import SecretStr

from chassis.app import RuntimeDep
from chassis.problems import Forbidden, NotFound, Problem, Unprocessable
from services.notify.adapters.sms import REPORT_ACCEPTED, SmsReport
from services.notify.adapters.wechat import parse_server_event, server_signature_ok
from services.notify.receipts import handlers, store
from services.notify.settings import NotifySettings

router = APIRouter(prefix="/notify/v1/receipts", tags=["provider receipts"])

Responses = dict[int | str, dict[str, Any]]
NOT_CONFIGURED: Responses = {404: {"description": "this provider's receipts are not configured here"}}
REFUSED: Responses = {403: {"description": "the secret or signature does not match"}}
AGAIN: Responses = {503: {"description": "a delivery is still being sent: push again later (the provider retries)"}}
ECHOED: Responses = {200: {"description": "the `echostr` back", "content": {"text/plain": {"example": "8372649105"}}}}
ACKNOWLEDGED: Responses = {
    200: {"description": "WeChat's acknowledgement", "content": {"text/plain": {"example": "success"}}}
}
Token = Annotated[str, Query(max_length=200, description="the secret configured in the SMS console's address")]
Signed = Annotated[str, Query(max_length=100)]


class PushAgain(Problem):
    """A delivery the receipt names is still being sent: a non-200 makes both providers push again later."""

    status, title = 503, "Push again later"


def _secret(value: SecretStr | None) -> str:
    if value is None:
        raise NotFound("receipts from this provider are not configured")
    return value.get_secret_value()


@router.post("/sms", responses={**NOT_CONFIGURED, **REFUSED, **AGAIN})
async def post_sms_reports(reports: list[SmsReport], token: Token, runtime: RuntimeDep) -> JSONResponse:
    """Alibaba Cloud SMS `SmsReport`: each report moves its delivery (`out_id`) from sent to delivered or failed."""
    expected = _secret(runtime.settings_as(NotifySettings).sms_receipt_token)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        raise Forbidden("not the configured report address")
    if len(reports) > 1000:
        raise Unprocessable("at most 1,000 reports a push")
    in_flight = False
    async with runtime.uow() as uow:
        for report in reports:
            delivery = await store.sms_delivery(uow.session, delivery_id=report.out_id)
            error = f"{report.err_code} {report.err_msg}".strip()
            applied = await handlers.record(uow, delivery, delivered=report.success, error=error)
            in_flight |= applied is handlers.Applied.IN_FLIGHT
        await uow.commit()
    if in_flight:  # the others are recorded; a repeat changes nothing for them
        raise PushAgain("a delivery is still being sent; push the reports again")
    return JSONResponse(REPORT_ACCEPTED)


@router.get("/wechat", response_class=PlainTextResponse, responses={**ECHOED, **NOT_CONFIGURED, **REFUSED})
async def get_wechat_check(
    signature: Signed, timestamp: Signed, nonce: Signed, echostr: Signed, runtime: RuntimeDep
) -> PlainTextResponse:
    """WeChat's check of the server address (服务器配置): the `echostr` back when the signature holds."""
    _check_wechat(runtime, signature, timestamp, nonce)
    return PlainTextResponse(echostr)


@router.post(
    "/wechat", response_class=PlainTextResponse, responses={**ACKNOWLEDGED, **NOT_CONFIGURED, **REFUSED, **AGAIN}
)
async def post_wechat_event(
    request: Request, signature: Signed, timestamp: Signed, nonce: Signed, runtime: RuntimeDep
) -> PlainTextResponse:
    """A server message (plaintext mode): `TEMPLATESENDJOBFINISH` moves its template message's delivery; any other
    message is acknowledged and ignored."""
    _check_wechat(runtime, signature, timestamp, nonce)
    try:
        finished = parse_server_event(await request.body())
    except ValueError as error:
        raise Unprocessable(str(error)) from error
    if finished is None:
        return PlainTextResponse("success")
    async with runtime.uow() as uow:
        delivery = await store.wechat_delivery(uow.session, msg_id=finished.msg_id)
        applied = await handlers.record(uow, delivery, delivered=finished.delivered, error=finished.status)
        await uow.commit()
    if applied is handlers.Applied.IN_FLIGHT:
        raise PushAgain("the template message is still being sent; push the event again")
    return PlainTextResponse("success")  # WeChat's acknowledgement: anything else makes it push again


def _check_wechat(runtime: RuntimeDep, signature: str, timestamp: str, nonce: str) -> None:
    token = _secret(runtime.settings_as(NotifySettings).wechat_server_token)
    if not server_signature_ok(token, timestamp, nonce, signature):
        raise Forbidden("the signature does not match the server token")
