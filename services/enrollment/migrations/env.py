"""Alembic environment of the enrollment service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.enrollment.app import DEFINITION

run(DEFINITION.metadata)
