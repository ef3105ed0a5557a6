"""Tables and queries of fee plans and waivers (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
