from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "referly.reports"
    label = "reports"
