"""Homework: the burden-cap policy engine, assignments, completion and grading (HW-)."""
