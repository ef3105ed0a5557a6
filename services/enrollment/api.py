"""Every HTTP router of the enrollment service, one per slice, all under `/enrollment/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from services.enrollment.allocation import api as allocation
from services.enrollment.applications import api as applications
from services.enrollment.data_rights import api as data_rights
from services.enrollment.duty import api as duty
from services.enrollment.fees import api as fees
from services.enrollment.imports import api as imports
from services.enrollment.pickups import api as pickups
from services.enrollment.places import api as places
from services.enrollment.policy import api as policy
from services.enrollment.privacy import api as privacy
from services.enrollment.programs import api as programs
from services.enrollment.roster import api as roster
from services.enrollment.setup import api as setup

ROUTERS: list[APIRouter] = [
    roster.router,
    pickups.router,
    privacy.router,
    data_rights.router,
    setup.router,
    duty.router,
    policy.router,
    programs.router,
    applications.router,
    places.router,
    allocation.router,
    fees.router,
    imports.router,
]
