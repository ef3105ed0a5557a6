"""HTTP routes of a guardian's own preferences (NT-2): nobody else's, ever."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.app import RuntimeDep
from chassis.auth import Principal
from chassis.http import Guardian
from chassis.problems import NotFound
from chassis.records import from_fields
from services.notify.domain.channels import EXTERNAL_CHANNELS, Channel
from services.notify.fields import PathId
from services.notify.preferences import handlers, store
from services.notify.preferences.schemas import PreferencesIn, PreferencesOut

router = APIRouter(prefix="/notify/v1", tags=["preferences"])


@router.get("/preferences", response_model=PreferencesOut)
async def my_preferences(runtime: RuntimeDep, principal: Guardian) -> PreferencesOut:
    """The calling guardian's own preferences."""
    return await _read(runtime, principal)


@router.put("/preferences", response_model=PreferencesOut)
async def set_my_preferences(runtime: RuntimeDep, principal: Guardian, body: PreferencesIn) -> PreferencesOut:
    """Replace the calling guardian's preferences (NT-2); only the caller's own, whatever the body says."""
    async with runtime.uow() as uow:
        await handlers.set_preferences(uow, principal, body)
        await uow.commit()
    return await _read(runtime, principal)


@router.get("/guardians/{guardian_id}/preferences", response_model=PreferencesOut)
async def guardian_preferences(runtime: RuntimeDep, principal: Guardian, guardian_id: PathId) -> PreferencesOut:
    """A guardian's preferences by id: only the guardian themself; anyone else's is a 404, as if not there."""
    if guardian_id != principal.subject:
        raise NotFound("no such guardian")
    return await _read(runtime, principal)


async def _read(runtime: RuntimeDep, principal: Principal) -> PreferencesOut:
    async with runtime.db.sessions() as session:
        row = await session.get(store.GuardianPreference, principal.subject)
    if row is None or row.school_id != principal.school():
        return PreferencesOut(guardian_id=principal.subject)
    quiet = {"start": row.quiet_start, "end": row.quiet_end} if row.quiet_start and row.quiet_end else None
    channels = {k: [c for c in v if Channel(c) in EXTERNAL_CHANNELS] for k, v in row.channels.items()}
    language = "en" if row.language == "en" else "zh-CN"
    return from_fields(PreferencesOut, row, language=language, channels=channels, quiet_hours=quiet)
