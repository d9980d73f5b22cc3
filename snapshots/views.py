"""The auditors' download: the current snapshot as a streamed zip."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from api.errors import ErrorSerializer
from api.permissions import AuditorsOnly

from .export import iter_snapshot_zip


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
