"""Referly in the team's other tools: CRM write-back files, signed webhooks, chat messages, analyst tables."""
