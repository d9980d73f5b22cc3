from django.apps import AppConfig


class IngestConfig(AppConfig):
    """A new statement in: segmenting, cues, figures, ranking against what is stored, suggestions and their review."""

    name = "ingest"
    verbose_name = "Ingest"
