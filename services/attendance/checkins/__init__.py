"""Check-ins from kiosks and the teacher's roll call (AT-2, AT-8)."""
