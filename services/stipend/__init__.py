"""Stipend: teachers' stipends and families' fees, tallied to the fen from attendance facts (ST-, EN-7)."""
