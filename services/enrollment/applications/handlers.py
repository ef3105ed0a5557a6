"""Commands of applications and club places: rules → store + events, each inside one unit of work."""

from __future__ import annotations
