"""Children's sensitive data (PIPL): who read it, in an append-only log the school admin can query."""
