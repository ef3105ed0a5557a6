"""Weekly plans (HW-8): the class's week of homework published as versions, and what changed since."""
