"""Families' monthly fee statements (EN-7, ST-6, BX-5), issued and corrected on a later month."""
