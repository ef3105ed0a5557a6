"""Homework events a class's guardians are told about (HW-8): the week's plan, and changes after it."""
