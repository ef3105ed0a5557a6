"""Fee plans per program and waivers per student, in integer fen (EN-7)."""
