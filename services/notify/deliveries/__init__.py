"""Deliveries queued beside their notification, one per event, recipient and channel (NT-3), and dead letters."""
