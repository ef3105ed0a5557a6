"""Commands of policy profiles: rules → store + events, each inside one unit of work."""

from __future__ import annotations
