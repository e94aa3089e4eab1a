"""Asks that leave Referly by mail and come back: the outbox, its delivery, replies, bounces and follow-ups."""
