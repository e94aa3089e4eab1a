"""Referly: a B2B referral engine."""

__version__ = "0.1.0"
