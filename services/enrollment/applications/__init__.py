"""Applications and their approval workflow, withdrawal, allocation of club places and waitlists (EN-1..EN-3, BX-1)."""
