"""Tables and queries of the school's set-up (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
