"""The audit trail: who did what, when and from where, kept for a retention period an admin chooses."""
