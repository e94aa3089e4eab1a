"""Ask scripts: templates per channel × moment × language, filled from the action or the referral."""
