from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (v1) over both domain apps."""

    name = "api"
    verbose_name = "REST API"
