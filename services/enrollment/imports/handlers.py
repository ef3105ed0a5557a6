"""Commands of bulk roster import: rules → store + events, each inside one unit of work."""

from __future__ import annotations
