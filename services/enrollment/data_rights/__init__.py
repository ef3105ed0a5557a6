"""A family's rights over its data (PIPL): a guardian's export, and erasure once a leaver's retention period ends."""
