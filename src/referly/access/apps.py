from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "referly.access"
    label = "access"
