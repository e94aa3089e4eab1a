from django.apps import AppConfig


class ConnectConfig(AppConfig):
    name = "referly.connect"
    label = "connect"
