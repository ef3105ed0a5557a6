"""The commands of a guardian's preferences (NT-2)."""

from __future__ import annotations

from chassis.auth import Principal
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from services.notify.preferences.schemas import PreferencesIn
from services.notify.preferences.store import GuardianPreference


async def set_preferences(uow: UnitOfWork, principal: Principal, body: PreferencesIn) -> None:
    """Replace the calling guardian's preferences; only the caller's own, whatever the body says."""
    school_id = principal.school()
    values = {
        "guardian_id": principal.subject,
        "school_id": school_id,
        "language": "en" if body.language == "en" else "zh",
        "channels": {str(k): list(v) for k, v in body.channels.items()},
        "email": body.email,
        "phone": body.phone,
        "wechat_openid": body.wechat_openid,
        "quiet_start": body.quiet_hours.start.strftime("%H:%M") if body.quiet_hours else None,
        "quiet_end": body.quiet_hours.end.strftime("%H:%M") if body.quiet_hours else None,
        "updated_at": uow.clock.now(),
    }
    await uow.session.execute(upsert(uow.session, GuardianPreference, values, ["guardian_id"]))
