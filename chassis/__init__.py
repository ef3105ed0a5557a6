"""The service chassis: the plumbing every service shares, written once."""
