"""Leave requests and unexcused absence (AT-3)."""
