"""Alembic environment of the attendance service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.attendance.app import DEFINITION

run(DEFINITION.metadata)
