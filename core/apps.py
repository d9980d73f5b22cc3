from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app stands on and no domain owns: natural keys, versions, digests, spans, the admin toolkit."""

    name = "core"
    verbose_name = "Core"
