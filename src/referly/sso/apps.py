from django.apps import AppConfig


class SignOnConfig(AppConfig):
    name = "referly.sso"
    label = "sso"
