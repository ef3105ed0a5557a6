"""The supervised session (HW-7): completions, grading and guardians' reports, and the burden they show (HW-9)."""
