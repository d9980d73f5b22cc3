"""`changed_since=<timestamp>` on every list of curated records, read from the change feed."""

import datetime

from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from changes.models import Action, Change
from changes.recording import resource_of


class ChangedSinceFilter(BaseFilterBackend):
    """`changed_since=<ISO 8601 timestamp>` on every list of curated records: those changed after it.

    A record's change includes its page's rows (a pledge's entries...), as its ETag does. Records
    deleted since are not in a list: the change feed has their tombstones.
    """

    parameter = "changed_since"

    def filter_queryset(self, request, queryset, view):
        text = request.query_params.get(self.parameter)
        resource = resource_of(queryset.model)
        if not text or resource is None:
            return queryset
        try:
            moment = parse_datetime(text.strip()) if len(text) <= 40 else None
        except ValueError:  # well formed, out of range: the 13th month
            moment = None
        if moment is not None and is_naive(moment):
            moment = make_aware(moment)
        try:
            # In UTC: PostgreSQL refuses an offset beyond ±15:59 that Python reads (-17:19, say).
            moment = moment.astimezone(datetime.UTC) if moment is not None else None
        except OverflowError:  # an offset that carries the moment past year 9999 or before year 1
            moment = None
        if moment is None:
            raise ValidationError(
                {self.parameter: ["An ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z (UTC when no offset)."]}
            )
        changed = Change.objects.filter(resource=resource, at__gt=moment).exclude(action=Action.DELETED)
        return queryset.filter(pk__in=changed.values("object_id"))

    def get_schema_operation_parameters(self, view):
        model = getattr(getattr(view, "queryset", None), "model", None) or _model_of(view)
        if model is None or resource_of(model) is None:
            return []
        return [
            {
                "name": self.parameter,
                "required": False,
                "in": "query",
                "description": "Only the records created or changed after this moment (ISO 8601; UTC when no offset).",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


def _model_of(view):
    serializer = getattr(view, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)
