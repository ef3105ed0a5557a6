"""Every HTTP router of the stipend service, one per slice, all under `/stipend/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from services.stipend.district import api as district
from services.stipend.exports import api as exports
from services.stipend.family import api as family
from services.stipend.payments import api as payments
from services.stipend.statements import api as statements
from services.stipend.tallies import api as tallies
from services.stipend.term import api as term

ROUTERS: list[APIRouter] = [
    tallies.router,
    statements.router,
    family.router,
    payments.router,
    term.router,
    exports.router,
    district.router,
]
