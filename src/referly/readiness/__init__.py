"""Readiness: what each list needs, what the records hold, and what to do when a list is empty."""
