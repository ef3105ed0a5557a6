"""Tables and queries of policy profiles (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
