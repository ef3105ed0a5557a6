"""Notification rules: plain functions, no I/O."""
