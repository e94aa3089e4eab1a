"""Relationship data captured where it lives: mail files and IMAP mailboxes, calendars, LinkedIn exports.

Headers only: a message's body and attachments are never read into the database. What becomes an
interaction, and what is skipped and why, is decided by the pure rules of ``rules.py`` (docs/capture.md).
"""
