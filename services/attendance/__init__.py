"""Attendance: check-in and check-out, handover, leave, absence, dismissal and pickup (AT-, BX-2..BX-7)."""
