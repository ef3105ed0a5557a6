"""Emergency early dismissal broadcasts, drills and the all-clear (AT-7, BX-7)."""
