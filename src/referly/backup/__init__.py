"""Backups of the system of record and their restore: SQLite's online backup, PostgreSQL's pg_dump.

``referly backup`` writes a copy that is whole or absent (``partial.py``); ``referly restore`` checks a
copy is a Referly database this version knows (``versions.py``) before anything is replaced, and keeps
what it replaces. ``sqlite.py`` and ``postgres.py`` hold the two ways; ``commands.py`` the commands.
"""
