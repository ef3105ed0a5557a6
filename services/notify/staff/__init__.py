"""Staff inboxes: class teachers, duty leaders, service teachers and the school office are told, listed and live."""
