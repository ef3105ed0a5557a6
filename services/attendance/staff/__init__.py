"""Service teachers' sign-in and activity records; duty leaders' patrol findings and incidents (AT-9, AT-10)."""
