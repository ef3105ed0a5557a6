"""Alembic environment of the stipend service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.stipend.app import DEFINITION

run(DEFINITION.metadata)
