"""Family accounts (EN-7): payments by API or a payment platform's CSV, and the running balance."""
