"""HTTP routes under `/homework/v1` (assignments and caps arrive with the homework issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/homework/v1", tags=["homework"])
