"""Who may collect a child: authorised adults, restricted persons, the walk-home permission (BX-2, AT-5)."""
