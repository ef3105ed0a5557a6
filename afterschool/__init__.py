"""The composition root: the CLI, the embedded all-in-one and the demo. Services never import this."""
