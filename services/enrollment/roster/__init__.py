"""The roster: schools, classes, students and guardians, who may collect a child, walking home (EN-8, BX-2, AT-5)."""
