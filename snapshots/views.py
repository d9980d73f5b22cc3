"""The auditors' download: the current snapshot, or the record as it stood at a moment, as a streamed zip."""

import tempfile

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.as_of import AS_OF_PARAMETER, ReadsAsOf, past_headers, requested_moment
from api.errors import ErrorSerializer
from api.permissions import AuditorsOnly
from core import when as moments

from .as_of import BeyondHistory
from .export import write_snapshot_zip
from .records import SnapshotError


class SnapshotView(ReadsAsOf, APIView):
    """The tracker's current state as a signed snapshot zip (fixture.jsonl, manifest.json): auditors only.

    The same files as `manage.py snapshot export`; unzip and check them with `snapshot verify`. With
    `?as_of=WHEN`, the record as it stood then (`snapshot export --as-of`), or a 404 saying why when the
    change history cannot reach back that far.
    `X-Snapshot-SHA256` carries the snapshot's digest and `X-Snapshot-Signature` its Ed25519
    signature (`X-Snapshot-Key-Id` names the key), so an auditor can keep them apart from the file.
    """

    permission_classes = [AuditorsOnly]

    @extend_schema(
        parameters=[AS_OF_PARAMETER],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The snapshot as a zip."),
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="The change history cannot reach back to `as_of`."),
            503: OpenApiResponse(ErrorSerializer, description="Snapshot signing is not configured."),
        },
    )
    def get(self, request, format=None):
        moment = requested_moment(request)  # a 400 for a bad `as_of`
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"tracker-snapshot-{stamp}.zip"
        if moment is not None:
            name = f"tracker-snapshot-as-of-{moments.stamp(moment).replace(':', '')}-{stamp}.zip"
        # Written to disk first (memory stays flat): the digest and signature are known only at the end.
        archive = tempfile.TemporaryFile()  # FileResponse closes it, which deletes it
        try:
            manifest = write_snapshot_zip(archive, as_of=moment)
        except BeyondHistory as exc:
            archive.close()
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except SnapshotError as exc:  # no signing key configured, or it cannot be read
            archive.close()
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        except BaseException:
            archive.close()
            raise
        archive.seek(0)
        response = FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
        if moment is not None:
            for header, value in past_headers(request, moment).items():
                response[header] = value
        response["X-Snapshot-SHA256"] = manifest["snapshot_sha256"]
        response["X-Snapshot-Signature"] = manifest["signature"]["value"]
        response["X-Snapshot-Key-Id"] = manifest["signature"]["key_id"]
        return response
