"""Teacher statements (ST-5): draft, approval, publication into the append-only ledger."""
