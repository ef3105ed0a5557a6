"""Benchmarks: load scripts run by hand (`bench/run`), never as timed tests."""
