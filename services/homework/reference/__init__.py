"""Homework's copies of enrollment's and attendance's facts, kept from their events, and who may see what."""
