"""Commands of the school's set-up: rules → store + events, each inside one unit of work."""

from __future__ import annotations
