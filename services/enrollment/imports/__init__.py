"""Bulk roster import from CSV and XLSX files, idempotent, all-or-nothing, with a row-by-row report (EN-8)."""
