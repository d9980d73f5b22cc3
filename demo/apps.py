from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Synthetic data at any size, for the benchmark and for trying the tracker at scale."""

    name = "demo"
    verbose_name = "Demo data"
