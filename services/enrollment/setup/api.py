"""HTTP routes of the school's set-up under `/enrollment/v1`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/enrollment/v1", tags=["setup"])
