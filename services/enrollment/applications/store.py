"""Tables and queries of applications and club places (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
