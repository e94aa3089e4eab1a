from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "referly.notices"
    label = "notices"
    default_auto_field = "django.db.models.BigAutoField"
