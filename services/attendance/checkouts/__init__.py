"""Check-out to authorised people, walkers and the bus, and refusals (AT-4, AT-5, BX-2)."""
