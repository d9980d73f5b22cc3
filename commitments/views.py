import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.api import ErrorSerializer, HistoryMixin
from tracker.pagination import CursorPagination
from tracker.serializers import as_drf_error

from .filters import AssessmentFilter, CommitmentFilter, ThreadFilter
from .models import Assessment, Commitment, LineOfEffort, Thread, ThreadEntry
from .serializers import (
    AssessmentSerializer,
    CommitmentRowSerializer,
    CommitmentSerializer,
    LineOfEffortSerializer,
    ThreadEntryWriteSerializer,
    ThreadSerializer,
    ThreadTimelineSerializer,
)
from .services import place_in_thread, remove_from_thread


class LineOfEffortViewSet(HistoryMixin, viewsets.ModelViewSet):
    queryset = LineOfEffort.objects.all()
    serializer_class = LineOfEffortSerializer
    lookup_field = "slug"
    ordering_fields = ["position", "name"]
    ordering = ["position"]


class ThreadViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Recurring pledges. A pledge's own page is its timeline: commitments in meeting order, with wording diffs."""

    lookup_field = "slug"
    filterset_class = ThreadFilter
    ordering_fields = ["title", "slug"]
    ordering = ["line_of_effort__position", "title"]

    def get_queryset(self):
        # Entries with their commitment, statement and meeting feed `meetings` and the timeline.
        return Thread.objects.select_related("line_of_effort").with_timeline()

    def get_serializer_class(self):
        return ThreadTimelineSerializer if self.action == "retrieve" else ThreadSerializer

    @extend_schema(
        request=ThreadEntryWriteSerializer,
        responses={201: ThreadTimelineSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        summary="Place a commitment in this recurring pledge",
    )
    @action(detail=True, methods=["post"], url_path="entries", filter_backends=[], pagination_class=None)
    def add_entry(self, request, slug=None):
        thread = self.get_object()
        payload = ThreadEntryWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            place_in_thread(thread=thread, **payload.validated_data)
        except ValidationError as exc:
            raise as_drf_error(exc) from None
        thread = self.get_queryset().get(pk=thread.pk)
        return Response(ThreadTimelineSerializer(thread, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("commitment", str, OpenApiParameter.PATH, description="Commitment slug.")],
        request=None,
        responses={204: None, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="Take a commitment out of this recurring pledge",
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"entries/(?P<commitment>[-a-z0-9_]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_entry(self, request, slug=None, commitment=None):
        thread = self.get_object()
        entry = get_object_or_404(ThreadEntry, thread=thread, commitment__slug=commitment)
        try:
            remove_from_thread(entry=entry)
        except ValidationError as exc:
            raise as_drf_error(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommitmentViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Commitments: exact quotes of the statements, by line of effort, with their recurring pledges.

    The list is keyset-paginated (`cursor`), so a page deep into the table costs what the first does.
    """

    serializer_class = CommitmentSerializer
    lookup_field = "slug"
    pagination_class = CursorPagination
    filterset_class = CommitmentFilter
    ordering_fields = ["id", "slug"]
    ordering = ["id"]

    def get_queryset(self):
        # Statement, meeting, line of effort, thread places and latest status, in a fixed number of queries.
        return Commitment.objects.for_list()

    def list(self, request, *args, **kwargs):
        # The fast path: filter and paginate on the table, build plain rows for the page only, then
        # one query for their places in recurring pledges. CommitmentRowSerializer renders the rows.
        queryset = self.filter_queryset(Commitment.objects.with_latest_status())
        page = self.paginate_queryset(queryset.api_rows())
        places = ThreadEntry.objects.places_for([row["id"] for row in page])
        for row in page:
            row["threads"] = places.get(row["id"], [])
        return self.get_paginated_response(CommitmentRowSerializer(page, many=True).data)


class AssessmentViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Dated assessments of what became of a commitment: added and corrected, never deleted."""

    serializer_class = AssessmentSerializer
    lookup_field = "key"
    lookup_value_regex = r"[-a-z0-9_]+@\d{4}-\d{2}-\d{2}"
    filterset_class = AssessmentFilter
    ordering_fields = ["assessed_on"]
    ordering = ["commitment__slug", "-assessed_on"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # The commitment's slug is on every row.
        return Assessment.objects.select_related("commitment").defer("commitment__quote")

    def get_object(self):
        slug, _, day = self.kwargs["key"].partition("@")
        try:
            obj = self.get_queryset().get_by_natural_key(slug, datetime.date.fromisoformat(day))
        except (Assessment.DoesNotExist, ValueError):
            raise Http404("No assessment of this commitment on this date.") from None
        self.check_object_permissions(self.request, obj)
        return obj
