from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "referly.capture"
    label = "capture"
    verbose_name = "Capture"
