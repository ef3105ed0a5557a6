"""Applications and their approval workflow, and withdrawal (EN-1, EN-2)."""
