"""HTTP routes of policy profiles under `/enrollment/v1`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/enrollment/v1", tags=["policy"])
