from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "referly.crm"
    label = "crm"
    verbose_name = "CRM"
