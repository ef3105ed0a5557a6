"""Staff inboxes: the staff member an attendance event names is told too, listed and live."""
