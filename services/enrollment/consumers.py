"""What enrollment subscribes to: nothing. It is the source of rosters and policy; it asks no one."""
