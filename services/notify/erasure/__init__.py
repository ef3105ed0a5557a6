"""PIPL: a child erased by enrollment is erased here too: their name, their alerts, and their guardians' addresses."""
