"""Homework rules (HW-1..HW-9): plain functions and classes, no I/O. Built in the homework issue."""
