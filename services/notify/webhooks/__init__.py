"""A school's own webhook endpoints (NT-2): its systems receive its notifications, signed."""
