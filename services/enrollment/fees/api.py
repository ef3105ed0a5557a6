"""HTTP routes of fee plans and waivers under `/enrollment/v1`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/enrollment/v1", tags=["fees"])
