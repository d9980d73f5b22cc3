"""Every resource's change history (django-simple-history rows), read by auditors and curators.

`?as_of=WHEN` (`api.as_of`) answers the history up to and including that moment: the record is found by the key
it had then (`core.as_of`), so a record deleted since answers too, and one not in the record then is a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from simple_history.models import HistoricalRecords

from accounts.models import DashboardToken
from commitments.past_lists import id_then
from core import when as moments
from core.as_of import history_of

from .as_of import AS_OF_PARAMETER, not_found, past_headers, requested_moment
from .errors import ErrorSerializer
from .permissions import ReadsHistory


def record_token(sender, history_instance, **kwargs):
    """Receives simple-history's pre_create_historical_record: the dashboard token of the request, if any.

    DashboardTokenAuthentication puts the token in the request's `auth`, which DRF copies onto the
    Django request that simple-history's middleware keeps for the thread (as it does for `user`).
    """
    request = getattr(HistoricalRecords.context, "request", None)
    token = getattr(request, "auth", None)
    if isinstance(token, DashboardToken):
        history_instance.history_token = str(token)


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryRecordSerializer(serializers.Serializer):
    """One recorded change: when, who (and through which dashboard token), what kind, and the fields it changed."""

    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    type = serializers.ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    reason = serializers.CharField(allow_null=True)
    token = serializers.CharField(
        allow_null=True, help_text="The dashboard token the change was made with (its name and key prefix), if any."
    )
    changes = HistoryChangeSerializer(many=True)


class HistoryMixin:
    """Adds `GET …/{slug}/history/`: every recorded change of the row, for auditors and curators; with
    `?as_of=WHEN`, those made at or before that moment, of the record the key addressed then."""

    @extend_schema(
        parameters=[AS_OF_PARAMETER], responses={200: HistoryRecordSerializer(many=True), 403: ErrorSerializer}
    )
    @action(detail=True, permission_classes=[ReadsHistory], pagination_class=None, filter_backends=[])
    @moments.reads_as_of
    def history(self, request, *args, **kwargs):
        moment = requested_moment(request)
        if moment is None:
            records = self.get_object().history.all()
        else:
            model = self.get_queryset().model
            key = kwargs[self.lookup_field]
            found = self.history_key_as_of(model, key, moment)
            if found is None:
                raise not_found(model._meta.verbose_name, model, moment, by=self.lookup_field, key=key)
            versions = history_of(model).objects.filter(**{model._meta.pk.attname: found})
            records = versions.filter(history_date__lte=moment)
        records = list(records.select_related("history_user").order_by("history_date", "history_id"))
        result, previous = [], None
        for record in records:
            if previous is None:
                changes = []
            else:
                delta = record.diff_against(previous)
                changes = [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
            result.append(
                {
                    "date": record.history_date,
                    "user": record.history_user.get_username() if record.history_user else None,
                    "type": record.history_type,
                    "reason": record.history_change_reason,
                    "token": record.history_token or None,
                    "changes": changes,
                }
            )
            previous = record
        headers = past_headers(request, moment) if moment is not None else None
        return Response(HistoryRecordSerializer(result, many=True).data, headers=headers)

    def history_key_as_of(self, model, key, moment):
        """The id of the record `key` addressed at `moment` (its slug then, or its natural key then through the
        viewset's `past_record`, drafts included: the history is for curators and auditors), or None. One query
        by slug; a natural key costs what its past record does."""
        if self.lookup_field == "slug":
            return id_then(model, key, moment)
        record = self.past_record(key, moment, True)  # type: ignore[attr-defined]
        return record.pk if record is not None else None
