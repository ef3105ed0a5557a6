"""Policy profiles: per-school settings inheriting a district default, effective-dated and audited (PL-1, PL-2)."""
