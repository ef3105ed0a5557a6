"""A guardian's inbox: their notifications, listed, streamed live (capped per person) and read."""
