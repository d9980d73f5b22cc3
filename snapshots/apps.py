from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    """Auditors' snapshots (export, verify, diff, restore) and the seed built from the curation files."""

    name = "snapshots"
    verbose_name = "Snapshots and seed"
