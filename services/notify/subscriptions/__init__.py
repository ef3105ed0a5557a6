"""The open event stream (BX-8): a district's systems subscribe to event types of its schools, as signed webhooks."""
