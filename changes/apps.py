from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """The change feed and the webhooks' outbox: a row for every write of a curated record, in its transaction."""

    name = "changes"
    verbose_name = "Change feed and webhooks"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from core import batches

        from .recording import BATCH, record_change, record_written

        # After api.history has named the dashboard token (pre_create_historical_record), so the change
        # carries it too.
        post_create_historical_record.connect(record_change, dispatch_uid="changes.recording.record_change")
        # A batch of writes (core.batches) has its changes written at its end, in bulk.
        batches.at_batch_end(BATCH, record_written)
