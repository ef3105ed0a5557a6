"""The roster: schools, classes, students and guardians, transfers and leaving (EN-8, EN-3)."""
