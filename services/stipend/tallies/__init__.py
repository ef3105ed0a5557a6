"""Attended class-hours (tallies) of the school's children, by child, by session and line by line (SR-1)."""
