"""The five services, in the order they start; a process imports only the services it runs."""

from __future__ import annotations

import importlib

from chassis.app import ServiceDefinition

NAMES = ("enrollment", "attendance", "homework", "stipend", "notify")


def definition(name: str) -> ServiceDefinition:
    """One service's definition, importing that service's code alone: `afterschool serve` holds one service, not
    five (about 30 MB of resident memory a process, issue 13)."""
    if name not in NAMES:
        raise KeyError(f"no service {name!r}: one of {', '.join(NAMES)}")
    found: ServiceDefinition = importlib.import_module(f"services.{name}.app").DEFINITION
    return found


def all_services() -> dict[str, ServiceDefinition]:
    """Every service's definition by name, in start order (the all-in-one, the tests and the benchmarks)."""
    return {name: definition(name) for name in NAMES}
