"""Stipend and fee rules: plain functions, no I/O."""
