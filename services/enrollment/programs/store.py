"""Tables and queries of programs and fees (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
