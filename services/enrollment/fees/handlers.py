"""Commands of fee plans and waivers: rules → store + events, each inside one unit of work."""

from __future__ import annotations
