"""Providers' receipts: SMS status reports and WeChat template results move a sent delivery to delivered or failed."""
