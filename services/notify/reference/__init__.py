"""Notify's copies of enrollment's roster: children's names and grades, their guardians, who may collect them."""
