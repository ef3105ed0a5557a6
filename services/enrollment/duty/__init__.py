"""The duty roster (值班): who is the school's duty leader on each day (AT-6, AT-10)."""
