"""Enrollment events a guardian is told about (EN-1, NT-1): each step of an application, and club places."""
