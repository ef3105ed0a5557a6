"""Every HTTP router of the homework service, one per slice, all under `/homework/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from services.homework.assignments import api as assignments
from services.homework.days import api as days
from services.homework.plans import api as plans
from services.homework.sessions import api as sessions

ROUTERS: list[APIRouter] = [assignments.router, days.router, plans.router, sessions.router]
