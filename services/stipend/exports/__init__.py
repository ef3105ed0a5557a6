"""Exports for finance (BX-8) as CSV or XLSX."""
