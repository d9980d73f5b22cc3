"""The auditors' download: the current snapshot as a streamed zip."""

import tempfile

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ErrorSerializer
from api.permissions import AuditorsOnly

from .export import write_snapshot_zip
from .records import SnapshotError


class SnapshotView(APIView):
    """The tracker's current state as a signed snapshot zip (fixture.jsonl, manifest.json): auditors only.

    The same files as `manage.py snapshot export`; unzip and check them with `snapshot verify`.
    `X-Snapshot-SHA256` carries the snapshot's digest and `X-Snapshot-Signature` its Ed25519
    signature (`X-Snapshot-Key-Id` names the key), so an auditor can keep them apart from the file.
    """

    permission_classes = [AuditorsOnly]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The snapshot as a zip."),
            401: ErrorSerializer,
            403: ErrorSerializer,
            503: OpenApiResponse(ErrorSerializer, description="Snapshot signing is not configured."),
        }
    )
    def get(self, request, format=None):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        # Written to disk first (memory stays flat): the digest and signature are known only at the end.
        archive = tempfile.TemporaryFile()  # FileResponse closes it, which deletes it
        try:
            manifest = write_snapshot_zip(archive)
        except SnapshotError as exc:  # no signing key configured, or it cannot be read
            archive.close()
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        except BaseException:
            archive.close()
            raise
        archive.seek(0)
        response = FileResponse(
            archive, as_attachment=True, filename=f"tracker-snapshot-{stamp}.zip", content_type="application/zip"
        )
        response["X-Snapshot-SHA256"] = manifest["snapshot_sha256"]
        response["X-Snapshot-Signature"] = manifest["signature"]["value"]
        response["X-Snapshot-Key-Id"] = manifest["signature"]["key_id"]
        return response
