"""Alembic environment of the homework service: the chassis runs it on the connection it hands over."""

from chassis.migrations import run
from services.homework.store import Base

run(Base.metadata)
