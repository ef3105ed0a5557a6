"""Enrollment: schools, rosters, guardians and (in its own issue) programs, applications and fees (EN-, PL-)."""
