"""How the API answers errors: JSON always, model validation as 400s, conflicts as 409s.

Two shapes, both in the OpenAPI schema: `Error` (`{"detail": "…"}`) for a request refused as a
whole, and `FieldErrors` (field name → its messages; `non_field_errors` for the record as a whole,
`detail` when the body could not be read) for 400s and 409s.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .renderers import ORJSONRenderer


def as_drf_error(exc):
    """A model ValidationError as DRF's field-level 400 payload."""
    return serializers.ValidationError(get_error_detail(exc))


class Conflict(exceptions.APIException):
    """409: the request lost a race with another write, or would break a record others point to."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the record as it is now; read it again and retry."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since the version in If-Match: read it again (GET) and retry."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send the record's ETag (from GET) in an If-Match header, so that a change made since you read it "
        "is not overwritten."
    )
    default_code = "precondition_required"


def exception_handler(exc, context):
    """DRF's handler, plus: a model ValidationError is a 400, deleting protected evidence a 409, and
    a uniqueness race lost at the database a 409; every error is JSON, whatever format was asked for."""
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    if isinstance(exc, ProtectedError):
        blocking = sorted({str(obj) for obj in exc.protected_objects})[:10]
        response = Response(
            {
                "detail": "This record is evidence other records point to, and cannot be deleted.",
                "blocked_by": blocking,
            },
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        # Validation passed, then another write took the value first: the loser is told, not a 500.
        response = drf_exception_handler(Conflict(), context)
    else:
        response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        # A rule about the record as a whole: the same object shape as every other 400.
        response.data = {"non_field_errors": response.data}
    request = context.get("request")
    if request is not None and not isinstance(getattr(request, "accepted_renderer", None), BrowsableAPIRenderer):
        # An error is JSON even when a list was asked for as CSV: the schema documents it so.
        request.accepted_renderer, request.accepted_media_type = ORJSONRenderer(), "application/json"
    return response


def json_not_found(request, exception=None):
    """The project's 404 for addresses no route matches: JSON under /api/, Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "No API resource at this address."}, status=404)
    return defaults.page_not_found(request, exception)


def json_server_error(request):
    """The project's 500: JSON under /api/, Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


class ErrorSerializer(serializers.Serializer):
    """The body of a 401, 403, 404, 405, 406, 412, 413, 415, 428 or 429."""

    detail = serializers.CharField()
