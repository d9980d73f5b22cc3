"""Every resource's change history (django-simple-history rows), read by auditors and curators."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from simple_history.models import HistoricalRecords

from accounts.models import DashboardToken

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
    """Adds `GET …/{slug}/history/`: every recorded change of the row, for auditors and curators."""

    @extend_schema(responses={200: HistoryRecordSerializer(many=True), 403: ErrorSerializer})
    @action(detail=True, permission_classes=[ReadsHistory], pagination_class=None, filter_backends=[])
    def history(self, request, *args, **kwargs):
        obj = self.get_object()
        records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
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
        return Response(HistoryRecordSerializer(result, many=True).data)
