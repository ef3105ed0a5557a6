"""Homework commands and event handlers (none yet: the domain is built in the homework issue)."""
