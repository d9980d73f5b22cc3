from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app stands on and no domain owns: natural keys, versions, digests, spans, the admin toolkit."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from .attribution import record_attribution

        # History rows written inside `attributed(...)` (an import) name who made them and why.
        pre_create_historical_record.connect(record_attribution, dispatch_uid="core.attribution.record_attribution")
