"""The term: survey, evaluation (QA-2, QA-3), the 9 : 1 settlement (ST-4) and families' term settlement (EN-7)."""
