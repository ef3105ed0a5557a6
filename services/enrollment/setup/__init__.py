"""School set-up: terms and calendar, grade bands, rooms, staff and who teaches which class (EN-5)."""
