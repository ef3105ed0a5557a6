"""Who may read what: tenancy from the token, the month path, and the family and teacher readers."""
