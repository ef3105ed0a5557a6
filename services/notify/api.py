"""Every HTTP router of the notify service, one per slice, all under `/notify/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from services.notify.deliveries import api as deliveries
from services.notify.inbox import api as inbox
from services.notify.preferences import api as preferences
from services.notify.receipts import api as receipts
from services.notify.staff import api as staff
from services.notify.subscriptions import api as subscriptions
from services.notify.webhooks import api as webhooks

ROUTERS: list[APIRouter] = [
    inbox.router,
    preferences.router,
    staff.router,
    deliveries.router,
    receipts.router,
    webhooks.router,
    subscriptions.router,
]
