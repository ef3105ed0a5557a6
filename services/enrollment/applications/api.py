"""HTTP routes of applications and club places under `/enrollment/v1`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/enrollment/v1", tags=["applications"])
