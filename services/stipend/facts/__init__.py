"""Attendance's facts (check-ins, check-outs, leave, late fees, staff facts) kept once, and loaded for the rules."""
