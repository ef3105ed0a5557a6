"""Live board pings: a change in a school's attendance wakes its board streams at once (BX-6)."""
