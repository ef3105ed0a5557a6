"""Programs (the base service, clubs, optional services) and their fee plans and waivers (EN-4..EN-7)."""
