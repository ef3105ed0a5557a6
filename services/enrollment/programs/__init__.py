"""Programs: the base service, clubs and optional services of a term, their schedule and capacity (EN-4..EN-6)."""
