"""How the API answers errors: one JSON shape, model validation as 400s, protected evidence as 409s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def as_drf_error(exc):
    """A model ValidationError as DRF's field-level 400 payload."""
    return serializers.ValidationError(get_error_detail(exc))


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
