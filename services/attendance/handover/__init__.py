"""Handover of the staying students from class teacher to service teacher (AT-1, BX-3)."""
