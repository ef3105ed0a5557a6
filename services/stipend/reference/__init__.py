"""Enrollment's facts (policy, calendars, programs, roster, fees), kept as the stipend's own copies."""
