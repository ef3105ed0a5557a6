"""The district operator's roll-ups (BX-8), one row per school of the district."""
