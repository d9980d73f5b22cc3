"""Cross-cutting API parts: error shapes, change history, the API root and dashboard aggregates."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import routers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from commitments.models import Commitment, ThreadEntry
from meetings.models import Figure, FigureMetric, Meeting

from .permissions import AuditorsOnly, ReadsHistory
from .serializers import HistoryRecordSerializer, as_drf_error
from .snapshot import iter_snapshot_zip


def exception_handler(exc, context):
    """DRF's handler, plus: a model ValidationError is a 400, deleting protected evidence a 409."""
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    if isinstance(exc, ProtectedError):
        blocking = sorted({str(obj) for obj in exc.protected_objects})[:10]
        return Response(
            {
                "detail": "This record is evidence other records point to, and cannot be deleted.",
                "blocked_by": blocking,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """The body of a 401, 403, 404, 405, 409 or 429."""

    detail = serializers.CharField()


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
                    "changes": changes,
                }
            )
            previous = record
        return Response(HistoryRecordSerializer(result, many=True).data)


class APIRoot(routers.APIRootView):
    """The tracker's REST API: resources addressed by slug, aggregates for dashboards, schema and docs."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        fmt = kwargs.get("format")
        for name in ("pledge-matrix", "commitments-by-line", "figure-series", "snapshot", "schema", "docs"):
            response.data[name] = reverse(f"api:{name}", request=request, format=fmt if name != "docs" else None)
        return response


class MatrixCellSerializer(serializers.Serializer):
    commitment = serializers.SlugField()
    position = serializers.IntegerField()
    change_kind = serializers.CharField()


class MatrixThreadSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    line_of_effort = serializers.SlugField()
    meetings = serializers.DictField(
        child=MatrixCellSerializer(many=True), help_text="Meeting slug → the thread's commitments at that meeting."
    )


class MatrixMeetingSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    start_date = serializers.DateField()


class PledgeMatrixSerializer(serializers.Serializer):
    meetings = MatrixMeetingSerializer(many=True)
    threads = MatrixThreadSerializer(many=True)


class PledgeMatrixView(APIView):
    """Recurring pledges × meetings: which pledge appears at which meeting, how it changed, with which commitments."""

    @extend_schema(responses=PledgeMatrixSerializer)
    def get(self, request, format=None):
        meetings = Meeting.objects.in_order().values("slug", "name", "start_date")
        threads = {}
        for row in ThreadEntry.objects.meeting_matrix():
            thread = threads.setdefault(
                row["thread__slug"],
                {
                    "slug": row["thread__slug"],
                    "title": row["thread__title"],
                    "line_of_effort": row["thread__line_of_effort__slug"],
                    "meetings": {},
                },
            )
            thread["meetings"].setdefault(row["commitment__statement__meeting__slug"], []).append(
                {"commitment": row["commitment__slug"], "position": row["position"], "change_kind": row["change_kind"]}
            )
        data = {"meetings": list(meetings), "threads": list(threads.values())}
        return Response(PledgeMatrixSerializer(data).data)


class LineMeetingCountSerializer(serializers.Serializer):
    line_of_effort = serializers.SlugField(source="line_of_effort__slug")
    line_of_effort_name = serializers.CharField(source="line_of_effort__name")
    meeting = serializers.SlugField(source="statement__meeting__slug")
    meeting_date = serializers.DateField(source="statement__meeting__start_date")
    total = serializers.IntegerField()
    binding = serializers.IntegerField()
    soft = serializers.IntegerField()


class CommitmentsByLineView(APIView):
    """Commitments per line of effort per meeting, split into binding and softer ones."""

    @extend_schema(responses=LineMeetingCountSerializer(many=True))
    def get(self, request, format=None):
        rows = Commitment.objects.counts_by_line_and_meeting()
        return Response(LineMeetingCountSerializer(rows, many=True).data)


class FigurePointSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=FigureMetric.choices)
    meeting = serializers.SlugField(source="statement.meeting.slug")
    meeting_date = serializers.DateField(source="statement.meeting.start_date")
    statement = serializers.SlugField(source="statement.slug")
    figure = serializers.SlugField(source="slug")
    qualifier = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    unit = serializers.CharField()
    quote = serializers.CharField()


class FigureSeriesView(APIView):
    """A figure across meetings with its hedge kept, e.g. people freed: 7.7 million → almost 8 → nearly eight."""

    @extend_schema(
        parameters=[OpenApiParameter("metric", enum=FigureMetric.values, required=True)],
        responses={200: FigurePointSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request, format=None):
        metric = request.query_params.get("metric")
        if metric not in FigureMetric.values:
            return Response(
                {"detail": f"metric must be one of: {', '.join(FigureMetric.values)}."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(FigurePointSerializer(Figure.objects.series(metric), many=True).data)


class SnapshotView(APIView):
    """The tracker's current state as a snapshot zip (fixture.jsonl, manifest.json), streamed: auditors only.

    The same files as `manage.py snapshot export`; unzip and check them with `snapshot verify`.
    """

    permission_classes = [AuditorsOnly]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The snapshot as a zip."),
            401: ErrorSerializer,
            403: ErrorSerializer,
        }
    )
    def get(self, request, format=None):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(iter_snapshot_zip(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="tracker-snapshot-{stamp}.zip"'
        return response
