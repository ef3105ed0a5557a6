"""Alembic environment of the homework service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.homework.app import DEFINITION

run(DEFINITION.metadata)
