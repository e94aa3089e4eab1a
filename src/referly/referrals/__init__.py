"""Referrals as tracked objects: lifecycle, the asks ledger, consent and credit."""
