"""Emergency broadcasts with repeats merged (BX-7): the same message to the same guardians goes once a window."""
