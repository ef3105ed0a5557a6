"""Dismissal plans, check-out to authorised people, not collected, clearing the school (AT-4..AT-6, BX-2, BX-5)."""
