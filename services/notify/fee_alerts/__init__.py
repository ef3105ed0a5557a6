"""Fee alerts (NT-1, fees): a family statement issued, told to the child's guardians by their fees channels."""
