"""A guardian's own preferences (NT-2): channels per category, language, addresses and quiet hours."""
