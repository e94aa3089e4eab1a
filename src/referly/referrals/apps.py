from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referly.referrals"
    label = "referrals"
