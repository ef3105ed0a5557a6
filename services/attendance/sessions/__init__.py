"""The day's sessions of every school, derived on demand from programs, calendar and policy."""
