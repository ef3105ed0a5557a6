"""The live board per session and per school (BX-6)."""
