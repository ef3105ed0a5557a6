"""Notify settings, from `NOTIFY_*` environment variables. Provider keys are secrets: set them in the
environment (a Kubernetes secret), never in code; a channel whose keys are not set is not offered."""

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """Settings of the notify service."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", frozen=True)

    stream_keepalive_seconds: float = 15.0
    # Live streams one person may hold open at once on one process: each holds a listener and a queue in memory (the
    # process shares one Redis subscription among them, chassis/broadcast.py), so an uncapped client could still
    # grow the process without bound.
    stream_cap_per_person: int = 5

    # The dispatcher: how often it looks for due deliveries, how many it claims at once, how long a claim holds
    # (a replica that dies mid-send frees its deliveries after this), and how long one provider call may take.
    delivery_tick_seconds: float = 0.2
    delivery_batch: int = 100
    delivery_lease_seconds: float = 60.0
    delivery_send_timeout_seconds: float = 10.0
    # NT-2: an urgent alert not delivered or read within this many seconds goes to the guardian's next channel.
    urgent_fallback_seconds: float = 120.0
    # The same emergency broadcast to the same guardians within this window is merged into the first (not resent).
    broadcast_merge_window_seconds: float = 600.0
    # Sends per second per channel (token bucket, per process), and the burst allowed at once.
    rate_email_per_second: float = 20.0
    rate_sms_per_second: float = 10.0
    rate_wechat_per_second: float = 20.0
    rate_webhook_per_second: float = 50.0
    rate_burst_seconds: float = 1.0

    # E-mail over SMTP.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_sender: str = "afterschool@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_start_tls: bool = False

    # SMS: Alibaba Cloud SMS (Dysmsapi SendSms).
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_access_key_id: str | None = None
    sms_access_key_secret: SecretStr | None = None
    sms_sign_name: str = "课后服务"
    sms_template_code: str | None = None
    # The secret in the status-report push address configured in the SMS console (`…/receipts/sms?token=`): the
    # push carries no signature of its own. Unset: reports are refused (404).
    sms_receipt_token: SecretStr | None = None

    # WeChat Official Account template messages.
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_template_id: str | None = None
    # The Official Account's server-configuration Token (服务器配置), which signs its pushes. Unset: refused (404).
    wechat_server_token: SecretStr | None = None

    # Webhooks to schools' own systems; an endpoint failing this many times in a row gets nothing for the cool-down,
    # then one trial delivery.
    webhook_timeout_seconds: float = 10.0
    webhook_breaker_failures: int = 5
    webhook_breaker_cooldown_seconds: float = 300.0
