from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "referly.jobs"
    label = "jobs"
