from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "referly.portal"
    label = "portal"
