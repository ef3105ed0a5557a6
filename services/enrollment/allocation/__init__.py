"""Allocation runs: a term's lottery of club places among approved applicants, reproducible by its seed (EN-3)."""
