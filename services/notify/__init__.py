"""Notify: tells guardians and staff what happened, exactly once per event and recipient (NT-)."""
