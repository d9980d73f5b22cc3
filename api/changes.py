"""The change feed: `GET /api/v1/changes/` (`changed_since` on every list is api.changed_since).

The feed lists every create, update and delete of the curated records in feed order (see
`changes.models.ChangeQuerySet.committed`: a change committed late by a long transaction is never
skipped); `?since=<cursor>` returns only what came after the change the cursor names.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from changes.feed import UnknownCursor, document, page
from changes.models import Action, Change
from changes.recording import RESOURCES

from .as_of import AS_OF_PARAMETER, ReadsAsOf, requested_moment, with_past_headers
from .errors import ErrorSerializer
from .pagination import BoundedPageSize
from .permissions import ReadOrCurate, sees_drafts

FEED_FILTERS = ("resource", "pledge", "line_of_effort", "meeting")


class EmptyAsNull(serializers.CharField):
    """Text a change keeps empty when it has none (a delete's version, no one signed in): null in the feed."""

    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


class ChangeSerializer(serializers.Serializer):
    """One change: where it stands in the feed, what record, what happened, its new version, when and who."""

    # The feed writes its pages from plain rows (`changes.feed.document`, a fast path: docs/benchmark.md);
    # tests/test_changes.py holds it to this serializer's JSON.

    cursor = serializers.CharField(help_text="`since=` this cursor returns the changes after this one.")
    resource = serializers.CharField(help_text="The API resource (`commitments`), or empty for a `reset`.")
    key = serializers.CharField(help_text="The record's key in the API; for a delete, the tombstone's.")
    action = serializers.ChoiceField(choices=Action.choices)
    version = EmptyAsNull(allow_null=True, help_text="The record's ETag after the change; null for a delete.")
    at = serializers.DateTimeField()
    user = EmptyAsNull(allow_null=True)
    token = EmptyAsNull(allow_null=True, help_text="The dashboard token it was made with, if any.")
    reason = EmptyAsNull(allow_null=True)
    pledge = EmptyAsNull(allow_null=True)
    line_of_effort = EmptyAsNull(allow_null=True)
    meeting = EmptyAsNull(allow_null=True)


class ChangePageSerializer(serializers.Serializer):
    cursor = serializers.CharField(allow_null=True, help_text="Send it back as `since` for what comes next.")
    next = serializers.URLField(allow_null=True, help_text="The next page, when this one is full.")
    results = ChangeSerializer(many=True)


class FeedPageSize(BoundedPageSize):
    page_size = 100


class ChangesView(ReadsAsOf, APIView):
    """Every create, update and delete of the curated records, in the order they were committed.

    Follow `cursor`: `?since=<cursor>` returns only the changes after it (a cursor the feed did not
    give is a 400). Deleted records leave a tombstone (`action: deleted` with their key). A `reset`
    (a snapshot restored, the seed loaded) means: read the lists again. With `as_of`, the feed as it
    stood then: only the changes made at or before that moment, followed by the same cursors.
    """

    # A fast path (docs/benchmark.md, *Fast paths*): a page is read as plain rows and written by
    # `changes.feed.document`; a test on the seed holds it to `ChangeSerializer`'s JSON.
    permission_classes = [ReadOrCurate]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="A `cursor` the feed gave: the changes after it."),
            OpenApiParameter("page_size", int, description="Changes per page (1-500, default 100)."),
            OpenApiParameter("resource", str, enum=sorted(set(RESOURCES.values()))),
            OpenApiParameter("pledge", str, description="Recurring pledge slug."),
            OpenApiParameter("line_of_effort", str, description="Line of effort slug."),
            OpenApiParameter("meeting", str, description="Meeting slug."),
            AS_OF_PARAMETER,
        ],
        responses={200: ChangePageSerializer, 400: ErrorSerializer},
    )
    def get(self, request, *args, **kwargs):
        size = FeedPageSize().get_page_size(request)
        changes = Change.objects.committed()
        if not sees_drafts(request):
            changes = changes.public()
        changes = self.filtered(changes, request)
        moment = requested_moment(request)
        if moment is not None:
            # The feed as it stood then: a change is dated when it was made, in its transaction.
            changes = changes.filter(at__lte=moment)
        since = request.query_params.get("since") or None
        try:
            rows = page(changes, since, size)
        except UnknownCursor:
            raise ValidationError(
                {"since": ["This cursor is not one the feed gave: send a `cursor` it answered."]}
            ) from None
        results = [document(row) for row in rows[:size]]
        cursor = results[-1]["cursor"] if results else since
        following = None
        if len(rows) > size:
            query = request.query_params.copy()
            query["since"] = cursor
            following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return with_past_headers(Response({"cursor": cursor, "next": following, "results": results}), request, moment)

    @staticmethod
    def filtered(changes, request):
        values = {name: request.query_params.get(name) for name in FEED_FILTERS if request.query_params.get(name)}
        if "resource" in values and values["resource"] not in RESOURCES.values():
            raise ValidationError({"resource": [f"No resource is named “{values['resource']}”."]})
        return changes.filter(**values) if values else changes
