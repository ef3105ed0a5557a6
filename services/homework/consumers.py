"""What homework subscribes to: nothing yet (rosters and policy profiles arrive with the homework issue)."""
