"""Alembic environment of the notify service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.notify.app import DEFINITION

run(DEFINITION.metadata)
