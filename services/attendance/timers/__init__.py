"""Persisted due timers: absence after N minutes, escalation steps, unaccepted handovers (no per-student cron)."""
