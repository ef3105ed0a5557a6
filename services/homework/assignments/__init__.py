"""Assignments (HW-5): homework set, changed and withdrawn by subject teachers, judged by the caps (HW-1..HW-6)."""
