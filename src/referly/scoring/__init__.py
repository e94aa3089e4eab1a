"""The scoring engine: who to ask, when, for an introduction to whom, and why.

Pure functions over Arrow tables and DuckDB, with ``as_of`` passed in: no queries to the system of
record, no clock, no network. ``store`` is the edge that loads from and writes to the database.
"""
