"""Tables and queries of bulk roster import (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations
