from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (v1) over both domain apps."""

    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from .history import record_token

        # Every history row written during an API request with a dashboard token names the token.
        pre_create_historical_record.connect(record_token, dispatch_uid="api.history.record_token")
