from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "referly.web"
    label = "web"
