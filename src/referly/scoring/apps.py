from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "referly.scoring"
    label = "scoring"
