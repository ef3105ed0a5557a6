"""Enrollment rules: plain functions and classes, no I/O."""
