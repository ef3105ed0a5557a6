"""Attendance's own copies of enrollment's facts, kept from enrollment's events (never asked synchronously)."""
