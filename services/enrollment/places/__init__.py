"""Club places and waitlists: joining, leaving, releases and promotion from the waitlist (BX-1, EN-4)."""
