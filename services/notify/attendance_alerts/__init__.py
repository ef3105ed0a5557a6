"""Attendance events a guardian is told about (NT-1): check-in, check-out, leave, absence, pickup, emergencies."""
