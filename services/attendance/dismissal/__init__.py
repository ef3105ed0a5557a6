"""Dismissal plans and times, not-collected children, clearing the school (AT-5, AT-6, BX-5)."""
