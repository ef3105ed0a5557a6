"""HTTP routes of this slice under `/attendance/v1`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/attendance/v1", tags=["reconciliation"])
