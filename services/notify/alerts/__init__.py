"""How an event becomes guardians' alerts: one in-app notification each, queued on their channels, pushed live."""
