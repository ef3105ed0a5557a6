"""Regular-class attendance against the after-school session (BX-4)."""
