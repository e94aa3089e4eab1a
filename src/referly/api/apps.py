from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "referly.api"
    label = "api"
