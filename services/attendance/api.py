"""Every HTTP router of the attendance service, one per slice, under `/attendance/v1` (`/v2` for a reshaped list)."""

from __future__ import annotations

from fastapi import APIRouter

from services.attendance.absence import api as absence
from services.attendance.board import api as board
from services.attendance.checkins import api as checkins
from services.attendance.checkouts import api as checkouts
from services.attendance.dismissal import api as dismissal
from services.attendance.emergency import api as emergency
from services.attendance.handover import api as handover
from services.attendance.reconciliation import api as reconciliation
from services.attendance.sessions import api as sessions
from services.attendance.staff import api as staff

ROUTERS: list[APIRouter] = [
    checkins.router,
    sessions.router,
    handover.router,
    absence.router,
    checkouts.router,
    dismissal.router,
    emergency.router,
    staff.router,
    reconciliation.router,
    board.router,
]
