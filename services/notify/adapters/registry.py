"""The adapters a notify process offers, built from its settings (a channel without keys is not offered)."""

from __future__ import annotations

import httpx

from chassis.clock import Clock
from services.notify.adapters.base import ChannelAdapter
from services.notify.adapters.email import EmailAdapter, SmtpServer
from services.notify.adapters.sms import AliyunSmsAccount, AliyunSmsAdapter
from services.notify.adapters.webhook import WebhookAdapter
from services.notify.adapters.wechat import WeChatApp, WeChatTemplateAdapter
from services.notify.domain.channels import Channel
from services.notify.settings import NotifySettings


def build_adapters(settings: NotifySettings, http: httpx.AsyncClient, clock: Clock) -> dict[Channel, ChannelAdapter]:
    """Every configured channel's adapter; webhooks need no account, so they are always there."""
    adapters: dict[Channel, ChannelAdapter] = {Channel.WEBHOOK: WebhookAdapter(http, clock)}
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        server = SmtpServer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_start_tls,
            timeout=settings.delivery_send_timeout_seconds,
        )
        adapters[Channel.EMAIL] = EmailAdapter(server)
    if settings.sms_access_key_id and settings.sms_access_key_secret and settings.sms_template_code:
        account = AliyunSmsAccount(
            endpoint=settings.sms_endpoint,
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret.get_secret_value(),
            sign_name=settings.sms_sign_name,
            template_code=settings.sms_template_code,
        )
        adapters[Channel.SMS] = AliyunSmsAdapter(http, account, clock)
    if settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_template_id:
        app = WeChatApp(
            api_base=settings.wechat_api_base,
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret.get_secret_value(),
            template_id=settings.wechat_template_id,
        )
        adapters[Channel.WECHAT] = WeChatTemplateAdapter(http, app, clock)
    return adapters
